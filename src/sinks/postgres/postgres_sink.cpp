#include "sinks/postgres/postgres_sink.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <functional>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

#include "config/retry_backoff.hpp"
#include "sinks/list_gathering_writer.hpp"
#include "sinks/sql/consolidated_schema.hpp"
#include "utils/backoff.hpp"
#include "utils/error.hpp"
#include "utils/redact.hpp"

namespace soi {
namespace {

using sql::quote_ident;

// A connection-level failure: the server is down or restarting, the connection
// was lost, or the transaction lost a serialization race. Worth a retry.
class Transient : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ResultGuard {
  PGresult* r = nullptr;
  ~ResultGuard() {
    if (r) PQclear(r);
  }
};

std::string one_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "; ";
    } else if (c != '\t') {
      out += c;
    }
  }
  return out;
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

bool retryable_sqlstate(std::string_view state) {
  return state.substr(0, 2) == "08"       // connection exception
         || state.substr(0, 3) == "57P"   // admin/crash shutdown, cannot connect now
         || state == "40001"              // serialization failure
         || state == "40P01"              // deadlock detected
         || state == "53300";             // too many connections
}

bool is_auth_failure(std::string_view message) {
  return contains(message, "authentication failed") || contains(message, "no password supplied") ||
         contains(message, "pg_hba.conf") || (contains(message, "role \"") && contains(message, "does not exist"));
}

// One COPY text-format row buffer: fields separated by tabs, rows by newlines.
class CopyBuffer {
 public:
  void text(std::string_view v) {
    sep();
    append_escaped(v);
  }
  void null() {
    sep();
    buf_ += "\\N";
  }
  void optional_text(std::string_view v) {
    if (v.empty()) null(); else text(v);
  }
  void number(double v) {
    sep();
    if (std::isnan(v)) {
      buf_ += "NaN";
    } else if (std::isinf(v)) {
      buf_ += v > 0 ? "Infinity" : "-Infinity";
    } else {
      char tmp[64];
      const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
      buf_.append(tmp, r.ptr);
    }
  }
  void integer(std::int64_t v) {
    sep();
    char tmp[32];
    const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
    buf_.append(tmp, r.ptr);
  }
  void end_row() {
    buf_ += '\n';
    first_ = true;
  }
  std::string& data() { return buf_; }

  void append_escaped(std::string_view v) {
    for (char c : v) {
      switch (c) {
        case '\\': buf_ += "\\\\"; break;
        case '\t': buf_ += "\\t"; break;
        case '\n': buf_ += "\\n"; break;
        case '\r': buf_ += "\\r"; break;
        case '\0': break;  // PostgreSQL text cannot hold NUL (a \u0000 in the JSON): dropped
        default: buf_ += c;
      }
    }
  }

 private:
  void sep() {
    if (!first_) buf_ += '\t';
    first_ = false;
  }
  std::string buf_;
  bool first_ = true;
};

std::string join_quoted(const std::vector<std::string>& columns) {
  std::string out;
  for (std::size_t i = 0; i < columns.size(); ++i) out += (i ? ", " : "") + quote_ident(columns[i]);
  return out;
}

}  // namespace

std::string pg_copy_escape(std::string_view field) {
  CopyBuffer b;
  b.append_escaped(field);
  return b.data();
}

std::string pg_array_literal(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

namespace {

// Rows as COPY text fields: timestamps ISO 8601 UTC, dates YYYY-MM-DD, text lists as
// array literals, lists of structs as JSON.
class CopyRowWriter : public ListGatheringWriter {
 public:
  CopyRowWriter(CopyBuffer& out, const std::vector<Column>& columns) : ListGatheringWriter(columns), out_(out) {}
  void int64(std::int64_t v) override { out_.integer(v); }
  void float64(double v) override { out_.number(v); }
  void text(std::string_view v) override {
    if (!gathered(v)) out_.text(v);
  }
  void timestamp_ms(std::int64_t utc_ms) override { out_.text(format_utc_iso_ms(utc_ms)); }
  void date(Date d) override { out_.text(format_date(d)); }
  void null() override { out_.null(); }
  void end_row() override {
    out_.end_row();
    row_done();
  }

 private:
  void write_list(const Column& column, const std::vector<std::string>& elements) override {
    out_.text(column.type == LogicalType::struct_list ? sql::struct_list_json(column, elements)
                                                      : pg_array_literal(elements));
  }
  CopyBuffer& out_;
};

}  // namespace

using Producer = std::function<bool(CopyBuffer&, bool first)>;

struct PostgresSink::Impl {
  std::string conninfo;
  PostgresSinkConfig config;
  RetryPolicy retry;
  std::vector<std::string> news_tickers;
  std::vector<sql::Table> tables;
  std::string user;
  std::string target;  // host:port/database
  PGconn* conn = nullptr;
  UniformSource random = random_uniform_source();

  ~Impl() { disconnect(); }

  void disconnect() {
    if (conn) PQfinish(conn);
    conn = nullptr;
  }

  void connect_once() {
    disconnect();
    const std::string timeout = std::to_string(config.connect_timeout_seconds);
    // The conninfo's own connect_timeout/application_name (processed later) win.
    const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
    const char* values[] = {timeout.c_str(), "soi", conninfo.c_str(), nullptr};
    PGconn* c = PQconnectdbParams(keywords, values, 1);
    if (!c) throw SoiError(ErrorCategory::storage, "libpq: out of memory creating a connection");
    if (const char* h = PQhost(c)) {
      const char* p = PQport(c);
      const char* d = PQdb(c);
      target = std::string(h) + ":" + (p && *p ? p : "5432") + "/" + (d ? d : "");
    }
    if (const char* u = PQuser(c)) user = u;
    if (PQstatus(c) != CONNECTION_OK) {
      const std::string message = one_line(PQerrorMessage(c));
      PQfinish(c);
      if (is_auth_failure(message))
        throw SoiError(ErrorCategory::auth, "PostgreSQL authentication failed for user " + user + " at " + target +
                                                " (check the connection string in " + config.url_env +
                                                "): " + message);
      if (contains(message, "database \"") && contains(message, "does not exist"))
        throw SoiError(ErrorCategory::storage, "cannot connect to PostgreSQL at " + target + ": " + message);
      throw Transient("cannot connect to PostgreSQL at " + target + " as " + user + ": " + message);
    }
    conn = c;
    PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
    exec("SET client_min_messages = warning");
    // The COPY staging table is a temp table: keep a day of option bars in memory.
    exec("SET temp_buffers = '256MB'");
    exec("SET TimeZone = 'UTC'");
    // Our text is UTF-8 whatever the database's encoding (the server converts or refuses).
    exec("SET client_encoding = 'UTF8'");
    exec("SET search_path TO " + quote_ident(config.schema));
  }

  // Runs one statement. Connection-level failures throw Transient, SQL errors SoiError(storage).
  std::vector<std::vector<std::optional<std::string>>> exec(const std::string& statement) {
    ResultGuard g{PQexec(conn, statement.c_str())};
    const ExecStatusType status = g.r ? PQresultStatus(g.r) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(g.r);
    std::vector<std::vector<std::optional<std::string>>> rows;
    if (status == PGRES_TUPLES_OK) {
      const int n = PQntuples(g.r), m = PQnfields(g.r);
      for (int i = 0; i < n; ++i) {
        std::vector<std::optional<std::string>> row(static_cast<std::size_t>(m));
        for (int j = 0; j < m; ++j)
          if (!PQgetisnull(g.r, i, j)) row[static_cast<std::size_t>(j)] = std::string(PQgetvalue(g.r, i, j));
        rows.push_back(std::move(row));
      }
    }
    return rows;
  }

  [[noreturn]] void fail(const PGresult* r) {
    std::string message = one_line(r ? PQresultErrorMessage(r) : "");
    if (message.empty()) message = one_line(PQerrorMessage(conn));
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    if (PQstatus(conn) != CONNECTION_OK || (state && retryable_sqlstate(state)))
      throw Transient("connection to PostgreSQL at " + target + " failed: " + message);
    throw SoiError(ErrorCategory::storage, "PostgreSQL: " + message);
  }

  // COPY ... FROM STDIN, streaming the rows `produce` writes (called repeatedly
  // with an empty buffer until it returns false; `first` is true on the first
  // call of each COPY, so that a retried transaction starts over). Returns the
  // rows copied.
  std::uint64_t copy(const std::string& statement, const Producer& produce) {
    {
      ResultGuard g{PQexec(conn, statement.c_str())};
      if (!g.r || PQresultStatus(g.r) != PGRES_COPY_IN) fail(g.r);
    }
    bool more = true;
    for (bool first = true; more; first = false) {
      CopyBuffer buffer;
      more = produce(buffer, first);
      const std::string& data = buffer.data();
      if (!data.empty() && PQputCopyData(conn, data.data(), static_cast<int>(data.size())) != 1) {
        fail(nullptr);
      }
    }
    if (PQputCopyEnd(conn, nullptr) != 1) fail(nullptr);
    std::uint64_t rows = 0;
    bool failed = false;
    std::string message;
    std::string state;
    while (PGresult* r = PQgetResult(conn)) {
      ResultGuard g{r};
      if (PQresultStatus(r) == PGRES_COMMAND_OK) {
        rows = std::strtoull(PQcmdTuples(r), nullptr, 10);
      } else if (!failed) {
        failed = true;
        message = one_line(PQresultErrorMessage(r));
        if (const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE)) state = s;
      }
    }
    if (failed) {
      if (PQstatus(conn) != CONNECTION_OK || retryable_sqlstate(state))
        throw Transient("connection to PostgreSQL at " + target + " failed during COPY: " + message);
      throw SoiError(ErrorCategory::storage, "PostgreSQL COPY: " + message);
    }
    return rows;
  }

  void rollback_quietly() {
    if (!conn || PQstatus(conn) != CONNECTION_OK) return;
    PGresult* r = PQexec(conn, "ROLLBACK");
    if (r) PQclear(r);
  }

  int backoff_ms(int attempt) {
    return static_cast<int>(backoff_delay(backoff_policy(retry), attempt, random()).count());
  }

  // Runs `body` (connecting first when needed) until it succeeds, a
  // non-retryable error occurs, or retry.max_attempts is spent.
  template <typename Body>
  void with_retries(const std::string& what, const Body& body) {
    const int attempts = std::max(1, retry.max_attempts);
    for (int attempt = 1;; ++attempt) {
      try {
        if (!conn || PQstatus(conn) != CONNECTION_OK) connect_once();
        body();
        return;
      } catch (const Transient& e) {
        if (conn && PQstatus(conn) != CONNECTION_OK) disconnect();
        if (attempt >= attempts)
          throw SoiError(ErrorCategory::storage, what + e.what() + " (gave up after " + std::to_string(attempt) +
                                                     (attempt == 1 ? " attempt)" : " attempts)"));
        std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms(attempt)));
      }
    }
  }

  // Body in BEGIN ... COMMIT, rolled back on any failure.
  template <typename Body>
  void transaction(const Body& body) {
    exec("BEGIN");
    try {
      body();
      exec("COMMIT");
    } catch (...) {
      rollback_quietly();
      throw;
    }
  }

  std::string location(std::string_view table) const { return target + ":" + config.schema + "." + std::string(table); }

  // The day replacement every record type shares.
  PartitionWriteResult replace_day(std::string_view feed, const std::string& table, Date date,
                                   const std::vector<std::string>& columns, const std::vector<std::string>& key,
                                   const Producer& produce, std::uint64_t expected_rows,
                                   const std::function<void()>& after = {}) {
    const auto started = std::chrono::steady_clock::now();
    const std::string day = format_date(date);
    std::uint64_t copied = 0;
    try {
      with_retries("cannot replace " + day + " in " + config.schema + "." + table + ": ", [&] {
        transaction([&] {
          exec(sql::delete_day_sql(table, day));
          exec("CREATE TEMP TABLE soi_stage (LIKE " + quote_ident(table) + " INCLUDING DEFAULTS) ON COMMIT DROP");
          copied = copy("COPY soi_stage (" + join_quoted(columns) + ") FROM STDIN", produce);
          exec(sql::upsert_sql(table, columns, key, "soi_stage"));
          if (after) after();
        });
      });
    } catch (const SoiError& e) {
      // Auth stays auth (a password change mid-run); everything else is storage.
      const ErrorCategory category = e.category() == ErrorCategory::auth ? ErrorCategory::auth : ErrorCategory::storage;
      const std::string prefix = "cannot replace " + day + " in " + config.schema + "." + table + ": ";
      const std::string& m = e.message();
      throw SoiError(category, m.rfind(prefix, 0) == 0 ? m : prefix + m, ErrorContext{std::string(feed), "", day, ""});
    }
    if (copied != expected_rows)
      throw SoiError(ErrorCategory::storage,
                     "PostgreSQL COPY into " + table + " loaded " + std::to_string(copied) + " rows, expected " +
                         std::to_string(expected_rows),
                     ErrorContext{std::string(feed), "", day, ""});
    PartitionWriteResult result;
    result.sink = "postgres";
    result.feed = std::string(feed);
    result.date = day;
    result.location = location(table);
    result.rows = copied;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
  }
};

namespace {

class PgRunner : public sql::SqlRunner {
 public:
  explicit PgRunner(PostgresSink::Impl& impl) : impl_(impl) {}
  void execute(const std::string& statement) override { impl_.exec(statement); }
  std::vector<std::vector<std::optional<std::string>>> query(const std::string& statement) override {
    return impl_.exec(statement);
  }

 private:
  PostgresSink::Impl& impl_;
};

constexpr std::size_t kCopyChunkBytes = 1 << 20;

}  // namespace

PostgresSink::PostgresSink(std::string conninfo, PostgresSinkConfig config, RetryPolicy retry,
                           std::vector<std::string> news_tickers, std::vector<sql::Table> tables)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.conninfo = std::move(conninfo);
  s.config = std::move(config);
  s.retry = std::move(retry);
  s.news_tickers = std::move(news_tickers);
  s.tables = std::move(tables);
  if (s.config.schema.empty()) throw SoiError(ErrorCategory::config, "sinks.postgres.schema must not be empty");
  if (s.config.connect_timeout_seconds < 1)
    throw SoiError(ErrorCategory::config, "sinks.postgres.connect_timeout_seconds must be at least 1");

  // Learn the password (for redaction) and where we connect (for messages).
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(s.conninfo.c_str(), &error);
  if (!options) {
    if (error) PQfreemem(error);  // it may quote part of the string: never shown
    register_secret(s.conninfo);
    throw SoiError(ErrorCategory::config, "the PostgreSQL connection string in " + s.config.url_env +
                                              " cannot be parsed (expected postgresql://user:password@host:port/"
                                              "database or key=value pairs)");
  }
  std::string host = "localhost", port = "5432", dbname;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    if (!o->val || !*o->val) continue;
    const std::string_view k = o->keyword;
    if (k == "password") register_secret(o->val);
    else if (k == "host") host = o->val;
    else if (k == "port") port = o->val;
    else if (k == "dbname") dbname = o->val;
    else if (k == "user") s.user = o->val;
  }
  PQconninfoFree(options);
  s.target = host + ":" + port + "/" + dbname;

  s.with_retries("", [&] {
    s.transaction([&] {
      // Two soi processes opening at once must not race on CREATE ... IF NOT EXISTS.
      s.exec("SELECT pg_advisory_xact_lock(7301152032400017)");
      s.exec("CREATE SCHEMA IF NOT EXISTS " + quote_ident(s.config.schema));
      PgRunner runner(s);
      sql::ensure_schema(runner, sql::Dialect::postgres, s.tables, s.news_tickers);
    });
  });
}

PostgresSink::~PostgresSink() = default;

const std::string& PostgresSink::target() const { return impl_->target; }

PartitionWriteResult PostgresSink::write(const Partition& partition, const RunInfo& run) {
  const std::string day = format_date(partition.date);
  const std::string table(partition.table);
  const ErrorContext context{std::string(partition.name), "", day, ""};
  if (!partition.dataset || table.empty())
    throw SoiError(ErrorCategory::storage, "postgres sink: partition " + std::string(partition.name) + " of " + day +
                                               " names no dataset or table", context);
  const Dataset& dataset = *partition.dataset;
  const std::vector<Column> columns = dataset.columns(partition);
  const WriteStamp stamp{run.run_id, now_utc_ms()};

  std::lock_guard lock(mutex_);
  Impl& s = *impl_;
  // A column added to the configuration since the table was created (a news
  // ticker's sentiment): the migration runs in its own transaction, before the day's.
  if (columns.size() != dataset.base_columns().size()) {
    try {
      s.with_retries("cannot add columns to " + s.config.schema + "." + table + ": ", [&] {
        s.transaction([&] {
          s.exec("SELECT pg_advisory_xact_lock(7301152032400017)");
          PgRunner runner(s);
          sql::ensure_columns(runner, sql::Dialect::postgres, table, columns);
        });
      });
    } catch (const SoiError& e) {
      throw SoiError(e.category(), e.message(), context);
    }
  }
  std::unique_ptr<RowCursor> cursor;
  const auto produce = [&](CopyBuffer& out, bool first) -> bool {
    if (first) cursor = dataset.rows(partition, stamp);  // a retried transaction starts over
    CopyRowWriter writer(out, columns);
    while (out.data().size() < kCopyChunkBytes)
      if (!cursor->write_next(writer)) return false;
    return true;
  };
  return s.replace_day(partition.name, table, partition.date, dataset.column_names(partition), dataset.key(), produce,
                       dataset.row_count(partition), [&] {
                         if (partition.session_open_ms != 0 && partition.session_close_ms != 0)
                           s.exec(sql::upsert_session_sql(day, partition.session_open_ms, partition.session_close_ms));
                       });
}

}  // namespace soi
