// RAII over DuckDB's C API: one database + one connection, SQL execution that
// turns failures into storage errors, and an appender for bulk loads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <duckdb.h>

#include "utils/error.hpp"

namespace soi {

class DuckDbSession {
 public:
  // path "" or ":memory:" opens an in-memory database. memory_limit_mb 0:
  // DuckDB's default (80% of RAM). Extensions are never installed or loaded
  // on demand, whatever a query names.
  explicit DuckDbSession(const std::string& path = "", int threads = 0, bool read_only = false,
                         int memory_limit_mb = 0);
  ~DuckDbSession();
  // Another connection to this session's database, for queries on another
  // thread at the same time. This session (which owns the database) must
  // outlive it.
  std::unique_ptr<DuckDbSession> connect_again() const;
  DuckDbSession(const DuckDbSession&) = delete;
  DuckDbSession& operator=(const DuckDbSession&) = delete;

  // Runs SQL, throws SoiError(storage) with DuckDB's message on failure.
  void execute(const std::string& sql) const;
  // Runs a query and returns every cell as text (NULL -> nullopt). For small results.
  std::vector<std::vector<std::optional<std::string>>> query(const std::string& sql) const;
  struct TextResult {
    std::vector<std::string> names;
    std::vector<std::vector<std::optional<std::string>>> rows;
  };
  // query() plus the column names.
  TextResult query_with_names(const std::string& sql) const;
  // First column of the first row as int64 (throws when empty).
  std::int64_t query_int(const std::string& sql) const;

  duckdb_connection connection() const { return connection_; }

  // SQL string literal with quotes escaped.
  static std::string quote(std::string_view text);

 private:
  DuckDbSession(duckdb_database database, duckdb_connection connection)
      : database_(database), connection_(connection), owns_database_(false) {}

  duckdb_database database_ = nullptr;
  duckdb_connection connection_ = nullptr;
  bool owns_database_ = true;
};

// Appender for one table; rows are flushed at destruction or flush().
class DuckDbAppender {
 public:
  DuckDbAppender(const DuckDbSession& session, const std::string& table);
  // Appends to `columns` only, in that order; the table's other columns get their default (NULL).
  DuckDbAppender(const DuckDbSession& session, const std::string& table, const std::vector<std::string>& columns);
  ~DuckDbAppender();
  DuckDbAppender(const DuckDbAppender&) = delete;
  DuckDbAppender& operator=(const DuckDbAppender&) = delete;

  void append(std::int64_t v) { check(duckdb_append_int64(appender_, v)); }
  void append(double v) { check(duckdb_append_double(appender_, v)); }
  void append(std::string_view v) { check(duckdb_append_varchar_length(appender_, v.data(), v.size())); }
  void append_null() { check(duckdb_append_null(appender_)); }
  // DATE as days since 1970-01-01.
  void append_date_days(std::int32_t days) { check(duckdb_append_date(appender_, duckdb_date{days})); }
  // TIMESTAMPTZ (or TIMESTAMP) column from UTC epoch milliseconds; independent of the session TimeZone.
  void append_timestamp_ms(std::int64_t utc_ms) {
    check(duckdb_append_timestamp(appender_, duckdb_timestamp{utc_ms * 1000}));
  }
  // VARCHAR[] column.
  void append_text_list(std::span<const std::string> items);
  void end_row() { check(duckdb_appender_end_row(appender_)); }
  void flush();

 private:
  void check(duckdb_state state);
  duckdb_appender appender_ = nullptr;
  std::string table_;
};

}  // namespace soi
