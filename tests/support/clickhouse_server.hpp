// Throw-away ClickHouse servers for tests: Debian's clickhouse-server (18.16)
// with a config in a fresh temp dir, listening on 127.0.0.1 only (HTTP, TCP and
// interserver ports all free loopback ports), a user soi_test with a random
// password, data under the temp dir. As root it runs as nobody:nogroup (setpriv,
// the temp dir handed to nobody). A ClickHouseCluster starts several servers
// whose remote_servers name them all as the shards of cluster "soi_test".
// stop() ends the server and removes its dir; kill() only ends it (a shard going
// down mid-run); both with SIGKILL. Startup takes a few hundred milliseconds.
// Header-only: include it from a test.
#pragma once

#include <curl/curl.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/suite_server.hpp"

namespace soi::test {

inline constexpr const char* kClickHouseBinary = "/usr/sbin/clickhouse-server";
inline constexpr const char* kClickHouseUser = "soi_test";
inline constexpr const char* kClickHouseCluster = "soi_test";

class ClickHouseServer {
 public:
  ClickHouseServer() = default;
  ~ClickHouseServer() { stop(); }
  ClickHouseServer(const ClickHouseServer&) = delete;
  ClickHouseServer& operator=(const ClickHouseServer&) = delete;

  // A lone server (its remote_servers names only itself). Throws std::runtime_error.
  void start() {
    prepare();
    launch({tcp_port_});
  }

  // Picks the dir, ports and password (before launch, so that every shard's
  // config can name the others).
  void prepare() {
    if (!std::filesystem::exists(kClickHouseBinary))
      throw std::runtime_error(std::string(kClickHouseBinary) + " not found: scripts/setup.sh installs clickhouse-server");
    char pattern[] = "/tmp/soi_ch_XXXXXX";
    if (!::mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    http_port_ = free_loopback_port();
    tcp_port_ = free_loopback_port();
    interserver_port_ = free_loopback_port();
    std::random_device rd;
    std::mt19937_64 g(rd());
    password_ = "pw" + std::to_string(g());
  }

  // Writes the config (remote_servers: one shard per port of shard_tcp_ports),
  // starts the server and waits for GET /ping.
  void launch(const std::vector<int>& shard_tcp_ports) {
    write_config(shard_tcp_ports);
    const bool root = ::geteuid() == 0;
    if (root) {
      const passwd* nobody = ::getpwnam("nobody");
      if (!nobody) throw std::runtime_error("running as root and there is no 'nobody' user");
      for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_))
        if (::chown(entry.path().c_str(), nobody->pw_uid, nobody->pw_gid) != 0)
          throw std::runtime_error("cannot chown " + entry.path().string());
      if (::chown(dir_.c_str(), nobody->pw_uid, nobody->pw_gid) != 0) throw std::runtime_error("cannot chown " + dir_);
    }
    std::vector<std::string> args;
    if (root) args = {"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"};
    args.push_back(kClickHouseBinary);
    args.push_back("--config-file=" + dir_ + "/config.xml");
    pid_ = spawn(args, dir_ + "/stdout.log");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!ping()) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("clickhouse-server exited at startup: " + log_tail());
      }
      if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("clickhouse-server did not answer /ping: " + log_tail());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // Ends the server at once (SIGKILL: a crash, and a graceful shutdown takes
  // seconds); the data stays. Idempotent.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // Ends the server and removes its dir. Idempotent.
  void stop() {
    kill();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      dir_.clear();
    }
  }

  bool running() const { return pid_ > 0; }
  void share_password_of(const ClickHouseServer& other) { password_ = other.password_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(http_port_); }
  int tcp_port() const { return tcp_port_; }
  const std::string& password() const { return password_; }
  // The server's <path>: metadata/<database>/<table>.sql, data/...
  std::filesystem::path data_path() const { return std::filesystem::path(dir_) / "data"; }

  // Runs one statement as soi_test; returns the body (TabSeparated rows). Throws
  // std::runtime_error with the server's message on failure.
  std::string query(const std::string& sql, const std::string& database = "") const {
    long status = 0;
    const std::string body =
        request(url() + "/" + (database.empty() ? "" : "?database=" + database), &sql, 120'000, status);
    if (status != 200) throw std::runtime_error("ClickHouse: " + body + " (query: " + sql.substr(0, 200) + ")");
    return body;
  }

 private:
  void write_config(const std::vector<int>& shard_tcp_ports) {
    std::ostringstream shards;
    for (int port : shard_tcp_ports)
      shards << "<shard><replica><host>127.0.0.1</host><port>" << port << "</port><user>" << kClickHouseUser
             << "</user><password>" << password_ << "</password></replica></shard>";
    std::ofstream config(dir_ + "/config.xml");
    config << "<?xml version=\"1.0\"?>\n<yandex>\n"
           << "<logger><level>warning</level><log>" << dir_ << "/server.log</log><errorlog>" << dir_
           << "/server.err.log</errorlog><size>10M</size><count>1</count></logger>\n"
           << "<listen_host>127.0.0.1</listen_host>\n"
           << "<http_port>" << http_port_ << "</http_port><tcp_port>" << tcp_port_ << "</tcp_port>\n"
           << "<interserver_http_port>" << interserver_port_
           << "</interserver_http_port><interserver_http_host>127.0.0.1</interserver_http_host>\n"
           << "<path>" << dir_ << "/data/</path><tmp_path>" << dir_ << "/tmp/</tmp_path>\n"
           << "<user_files_path>" << dir_ << "/user_files/</user_files_path>\n"
           << "<format_schema_path>" << dir_ << "/format_schemas/</format_schema_path>\n"
           << "<users_config>" << dir_ << "/users.xml</users_config>\n"
           << "<default_profile>default</default_profile><default_database>default</default_database>\n"
           << "<timezone>UTC</timezone><mlock_executable>false</mlock_executable>\n"
           << "<mark_cache_size>67108864</mark_cache_size><uncompressed_cache_size>67108864</uncompressed_cache_size>\n"
           << "<remote_servers><" << kClickHouseCluster << ">" << shards.str() << "</" << kClickHouseCluster
           << "></remote_servers>\n</yandex>\n";
    std::ofstream users(dir_ + "/users.xml");
    users << "<?xml version=\"1.0\"?>\n<yandex>\n"
          << "<profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>\n"
          << "<users><" << kClickHouseUser << "><password>" << password_
          << "</password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></"
          << kClickHouseUser << "></users>\n"
          << "<quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>"
             "<result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval>"
             "</default></quotas>\n</yandex>\n";
  }

  bool ping() const {
    long status = 0;
    try {
      return request(url() + "/ping", nullptr, 1000, status).rfind("Ok.", 0) == 0;
    } catch (const std::runtime_error&) {
      return false;  // not listening yet
    }
  }

  // GET (post_body null) or POST as soi_test; the body, and the HTTP status in `status`.
  // Throws std::runtime_error when the server cannot be reached.
  std::string request(const std::string& url, const std::string* post_body, long timeout_ms, long& status) const {
    CURL* curl = curl_easy_init();
    if (!curl) throw std::runtime_error("curl_easy_init failed");
    std::string body;
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, (std::string("X-ClickHouse-User: ") + kClickHouseUser).c_str());
    headers = curl_slist_append(headers, ("X-ClickHouse-Key: " + password_).c_str());
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (post_body) curl_easy_setopt(curl, CURLOPT_POSTFIELDS, post_body->c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char* p, size_t size, size_t n, void* out) -> size_t {
      static_cast<std::string*>(out)->append(p, size * n);
      return size * n;
    });
    const CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK) throw std::runtime_error(std::string("ClickHouse unreachable: ") + curl_easy_strerror(rc));
    return body;
  }

  std::string log_tail() const {
    std::string out;
    for (const char* name : {"/stdout.log", "/server.err.log"}) {
      std::ifstream in(dir_ + name);
      std::stringstream ss;
      ss << in.rdbuf();
      const std::string text = ss.str();
      out += std::string(name) + ": " + (text.size() > 2000 ? text.substr(text.size() - 2000) : text) + "\n";
    }
    return out;
  }

  static pid_t spawn(const std::vector<std::string>& args, const std::string& log_path) {
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      const int in = ::open("/dev/null", O_RDONLY);
      const int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (in < 0 || out < 0) ::_exit(127);
      ::dup2(in, 0);
      ::dup2(out, 1);
      ::dup2(out, 2);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    return pid;
  }

  std::string dir_;
  std::string password_;
  int http_port_ = 0, tcp_port_ = 0, interserver_port_ = 0;
  pid_t pid_ = -1;
};

// Servers that are the shards of cluster "soi_test" (each one's remote_servers
// names them all, in order).
class ClickHouseCluster {
 public:
  explicit ClickHouseCluster(std::size_t shards = 2) : servers_(shards) {
    for (auto& s : servers_) s = std::make_unique<ClickHouseServer>();
  }
  void start() {
    for (auto& s : servers_) s->prepare();
    // One password for all: remote_servers carries it to every shard.
    for (std::size_t i = 1; i < servers_.size(); ++i) servers_[i]->share_password_of(*servers_[0]);
    std::vector<int> ports;
    for (auto& s : servers_) ports.push_back(s->tcp_port());
    for (auto& s : servers_) s->launch(ports);
  }
  void stop() {
    for (auto& s : servers_) s->stop();
  }
  ClickHouseServer& shard(std::size_t i) { return *servers_.at(i); }
  std::size_t size() const { return servers_.size(); }

 private:
  std::vector<std::unique_ptr<ClickHouseServer>> servers_;
};

}  // namespace soi::test
