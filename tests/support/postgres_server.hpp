// A throw-away PostgreSQL server for tests: initdb into a fresh temp dir
// (password auth, user soi_test), started on a free 127.0.0.1 port with its
// socket in that dir, a database soi_test; stop() shuts it down and removes
// everything. initdb/postgres refuse to run as root: as root (CI) they run as
// the `postgres` system user through runuser, with the temp dir handed to it.
// Header-only: include it from a test.
#pragma once

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/suite_server.hpp"

namespace soi::test {

class PostgresServer {
 public:
  PostgresServer() = default;
  ~PostgresServer() { stop(); }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // The server binaries (SOI_PG_BINDIR, else the newest /usr/lib/postgresql/*/bin); "" when absent.
  static std::string bin_dir() {
    if (const char* env = std::getenv("SOI_PG_BINDIR"); env && *env) return env;
    std::string best;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
      const auto bin = e.path() / "bin";
      if (std::filesystem::exists(bin / "initdb") && std::filesystem::exists(bin / "pg_ctl")) {
        // Compare versions numerically (10 > 9).
        if (best.empty() || std::stoi(e.path().filename().string()) >
                                std::stoi(std::filesystem::path(best).parent_path().filename().string()))
          best = bin.string();
      }
    }
    return best;
  }

  // Throws std::runtime_error with the server's log on failure.
  void start() {
    bin_ = bin_dir();
    if (bin_.empty()) throw std::runtime_error("PostgreSQL server binaries not found (set SOI_PG_BINDIR)");
    char pattern[] = "/tmp/soi_pg_XXXXXX";
    if (!::mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    password_ = random_password();
    const bool root = ::geteuid() == 0;
    {
      std::ofstream pw(dir_ + "/pwfile");
      pw << password_ << "\n";
    }
    ::chmod((dir_ + "/pwfile").c_str(), 0600);
    if (root) {
      const passwd* pg = ::getpwnam("postgres");
      if (!pg) throw std::runtime_error("running as root and there is no 'postgres' system user");
      if (::chown(dir_.c_str(), pg->pw_uid, pg->pw_gid) != 0 ||
          ::chown((dir_ + "/pwfile").c_str(), pg->pw_uid, pg->pw_gid) != 0)
        throw std::runtime_error("cannot chown " + dir_ + " to postgres");
    }
    run(bin_ + "/initdb -D " + dir_ + "/data -U soi_test --pwfile=" + dir_ +
            "/pwfile --auth=scram-sha-256 -E UTF8 --locale=C --no-sync > " + dir_ + "/initdb.log 2>&1",
        "initdb.log");
    for (int attempt = 0;; ++attempt) {
      port_ = free_loopback_port();
      try {
        run(bin_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ + "/server.log -w -t 60 -o \"-k " + dir_ +
                " -h 127.0.0.1 -p " + std::to_string(port_) +
                " -F -c full_page_writes=off -c synchronous_commit=off\" start > " + dir_ + "/pg_ctl.log 2>&1",
            "server.log");
        break;
      } catch (const std::runtime_error&) {
        if (attempt == 2) throw;  // the port was taken in between: try another
      }
    }
    running_ = true;
    admin("CREATE DATABASE soi_test");
  }

  // Stops the server (fast shutdown) and removes its directory. Idempotent.
  void stop() {
    if (running_) {
      try {
        run(bin_ + "/pg_ctl -D " + dir_ + "/data -m fast -w -t 60 stop > /dev/null 2>&1", "");
      } catch (...) {  // best effort: the directory goes anyway
      }
      running_ = false;
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      dir_.clear();
    }
  }

  bool running() const { return running_; }
  int port() const { return port_; }
  const std::string& password() const { return password_; }
  std::string url() const { return url_with_password(password_); }
  std::string url_with_password(const std::string& password) const {
    return "postgresql://soi_test:" + password + "@127.0.0.1:" + std::to_string(port_) + "/soi_test";
  }

  // Runs SQL in database soi_test (or `database`); returns the rows as text (NULL -> "\\N").
  std::vector<std::vector<std::string>> query(const std::string& sql, const std::string& database = "soi_test") const {
    const std::string conninfo = "host=127.0.0.1 port=" + std::to_string(port_) +
                                 " user=soi_test password=" + password_ + " dbname=" + database;
    PGconn* c = PQconnectdb(conninfo.c_str());
    if (PQstatus(c) != CONNECTION_OK) {
      std::string m = PQerrorMessage(c);
      PQfinish(c);
      throw std::runtime_error("test connection failed: " + m);
    }
    PGresult* r = PQexec(c, sql.c_str());
    const ExecStatusType status = PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      std::string m = PQresultErrorMessage(r);
      PQclear(r);
      PQfinish(c);
      throw std::runtime_error("test query failed: " + m + " in " + sql);
    }
    std::vector<std::vector<std::string>> rows;
    for (int i = 0; i < PQntuples(r); ++i) {
      std::vector<std::string> row;
      for (int j = 0; j < PQnfields(r); ++j)
        row.push_back(PQgetisnull(r, i, j) ? std::string("\\N") : std::string(PQgetvalue(r, i, j)));
      rows.push_back(std::move(row));
    }
    PQclear(r);
    PQfinish(c);
    return rows;
  }

 private:
  void admin(const std::string& sql) const { query(sql, "postgres"); }

  // Runs a shell command, as postgres when we are root. Throws with the log's tail.
  void run(const std::string& command, const std::string& log) const {
    const std::string full =
        ::geteuid() == 0 ? "cd /tmp && runuser -u postgres -- sh -c '" + command + "'" : "cd /tmp && " + command;
    if (std::system(full.c_str()) != 0) {
      std::string text;
      if (!log.empty()) {
        std::ifstream in(dir_ + "/" + log);
        std::stringstream ss;
        ss << in.rdbuf();
        text = ss.str();
      }
      throw std::runtime_error("command failed: " + command + "\n" + text);
    }
  }

 public:

 private:
  static std::string random_password() {
    static constexpr char kChars[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    std::random_device rd;
    std::mt19937 rng(rd());
    std::uniform_int_distribution<std::size_t> pick(0, sizeof kChars - 2);
    std::string out = "Pw";
    for (int i = 0; i < 22; ++i) out += kChars[pick(rng)];
    return out;
  }

  std::string bin_;
  std::string dir_;
  std::string password_;
  int port_ = 0;
  bool running_ = false;
};

}  // namespace soi::test
