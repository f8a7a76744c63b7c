#include "sinks/duckdb/duckdb_session.hpp"

#include <cctype>
#include <string>


namespace soi {

DuckDbSession::DuckDbSession(const std::string& path, int threads, bool read_only, int memory_limit_mb) {
  duckdb_config config = nullptr;
  if (duckdb_create_config(&config) == DuckDBError) throw SoiError(ErrorCategory::storage, "duckdb: cannot create config");
  if (threads > 0) duckdb_set_config(config, "threads", std::to_string(threads).c_str());
  if (read_only) duckdb_set_config(config, "access_mode", "READ_ONLY");
  // Offline by design: never fetch or load an extension on demand (a query
  // naming an http:// file would otherwise download httpfs).
  duckdb_set_config(config, "autoinstall_known_extensions", "false");
  duckdb_set_config(config, "autoload_known_extensions", "false");
  // DuckDB's allocator keeps freed memory for reuse up to this much after each
  // task (128 MB by default): a day's commit peaks and is done, so hand it back.
  duckdb_set_config(config, "allocator_flush_threshold", "8MB");
  if (memory_limit_mb > 0)
    duckdb_set_config(config, "memory_limit", (std::to_string(memory_limit_mb) + "MB").c_str());
  char* error = nullptr;
  const char* target = (path.empty() || path == ":memory:") ? nullptr : path.c_str();
  if (duckdb_open_ext(target, &database_, config, &error) == DuckDBError) {
    std::string message = error ? error : "unknown error";
    duckdb_free(error);
    duckdb_destroy_config(&config);
    throw SoiError(ErrorCategory::storage, "duckdb: cannot open database '" + path + "': " + message);
  }
  duckdb_destroy_config(&config);
  if (duckdb_connect(database_, &connection_) == DuckDBError) {
    duckdb_close(&database_);
    throw SoiError(ErrorCategory::storage, "duckdb: cannot connect to '" + path + "'");
  }
}

DuckDbSession::~DuckDbSession() {
  if (connection_) duckdb_disconnect(&connection_);
  if (database_ && owns_database_) duckdb_close(&database_);
}

std::unique_ptr<DuckDbSession> DuckDbSession::connect_again() const {
  duckdb_connection connection = nullptr;
  if (duckdb_connect(database_, &connection) == DuckDBError)
    throw SoiError(ErrorCategory::storage, "duckdb: cannot open another connection");
  return std::unique_ptr<DuckDbSession>(new DuckDbSession(database_, connection));
}

namespace {
struct Result {
  duckdb_result r{};
  ~Result() { duckdb_destroy_result(&r); }
};
}  // namespace

void DuckDbSession::execute(const std::string& sql) const {
  Result result;
  if (duckdb_query(connection_, sql.c_str(), &result.r) == DuckDBError) {
    const char* message = duckdb_result_error(&result.r);
    throw SoiError(ErrorCategory::storage, std::string("duckdb: ") + (message ? message : "query failed"));
  }
}

std::vector<std::vector<std::optional<std::string>>> DuckDbSession::query(const std::string& sql) const {
  return query_with_names(sql).rows;
}

DuckDbSession::TextResult DuckDbSession::query_with_names(const std::string& sql) const {
  Result result;
  if (duckdb_query(connection_, sql.c_str(), &result.r) == DuckDBError) {
    const char* message = duckdb_result_error(&result.r);
    throw SoiError(ErrorCategory::storage, std::string("duckdb: ") + (message ? message : "query failed"));
  }
  TextResult out;
  const idx_t columns = duckdb_column_count(&result.r);
  for (idx_t c = 0; c < columns; ++c) out.names.emplace_back(duckdb_column_name(&result.r, c));
  // The C API's text conversion leaves TIMESTAMPTZ cells empty; SQL's cast does not.
  std::string casted;
  bool has_timestamp_tz = false;
  for (idx_t c = 0; c < columns; ++c) {
    std::string name = "\"";
    for (char ch : out.names[c]) name += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    name += '"';
    casted += (c ? ", " : "");
    const bool is_tz = duckdb_column_type(&result.r, c) == DUCKDB_TYPE_TIMESTAMP_TZ;
    has_timestamp_tz = has_timestamp_tz || is_tz;
    casted += is_tz ? "CAST(" + name + " AS VARCHAR) AS " + name : name;
  }
  if (has_timestamp_tz) {
    std::string inner = sql;
    while (!inner.empty() && (inner.back() == ';' || std::isspace(static_cast<unsigned char>(inner.back()))))
      inner.pop_back();
    return query_with_names("SELECT " + casted + " FROM (" + inner + ") AS soi_query");
  }
  const idx_t count = duckdb_row_count(&result.r);
  out.rows.reserve(count);
  for (idx_t i = 0; i < count; ++i) {
    std::vector<std::optional<std::string>> row(columns);
    for (idx_t c = 0; c < columns; ++c) {
      if (duckdb_value_is_null(&result.r, c, i)) continue;
      char* text = duckdb_value_varchar(&result.r, c, i);
      row[c] = text ? std::string(text) : std::string();
      duckdb_free(text);
    }
    out.rows.push_back(std::move(row));
  }
  return out;
}

std::int64_t DuckDbSession::query_int(const std::string& sql) const {
  Result result;
  if (duckdb_query(connection_, sql.c_str(), &result.r) == DuckDBError) {
    const char* message = duckdb_result_error(&result.r);
    throw SoiError(ErrorCategory::storage, std::string("duckdb: ") + (message ? message : "query failed"));
  }
  if (duckdb_row_count(&result.r) == 0) throw SoiError(ErrorCategory::storage, "duckdb: query returned no rows");
  return duckdb_value_int64(&result.r, 0, 0);
}

std::string DuckDbSession::quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

DuckDbAppender::DuckDbAppender(const DuckDbSession& session, const std::string& table) : table_(table) {
  if (duckdb_appender_create(session.connection(), nullptr, table.c_str(), &appender_) == DuckDBError) {
    std::string message = appender_ ? duckdb_appender_error(appender_) : "unknown";
    duckdb_appender_destroy(&appender_);
    throw SoiError(ErrorCategory::storage, "duckdb: cannot create appender for " + table + ": " + message);
  }
}

DuckDbAppender::DuckDbAppender(const DuckDbSession& session, const std::string& table,
                               const std::vector<std::string>& columns)
    : DuckDbAppender(session, table) {
  for (const std::string& column : columns) {
    if (duckdb_appender_add_column(appender_, column.c_str()) == DuckDBError) {
      const char* message = duckdb_appender_error(appender_);
      throw SoiError(ErrorCategory::storage, "duckdb: appender for " + table + " has no column " + column + ": " +
                                                 (message ? message : "unknown error"));
    }
  }
}

void DuckDbAppender::append_text_list(std::span<const std::string> items) {
  std::vector<duckdb_value> values;
  values.reserve(items.size());
  for (const std::string& item : items) values.push_back(duckdb_create_varchar_length(item.data(), item.size()));
  duckdb_logical_type type = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
  duckdb_value list = duckdb_create_list_value(type, values.data(), values.size());
  duckdb_destroy_logical_type(&type);
  for (duckdb_value& v : values) duckdb_destroy_value(&v);
  if (!list) throw SoiError(ErrorCategory::storage, "duckdb: cannot build a list value for " + table_);
  const duckdb_state state = duckdb_append_value(appender_, list);
  duckdb_destroy_value(&list);
  check(state);
}

DuckDbAppender::~DuckDbAppender() {
  if (appender_) duckdb_appender_destroy(&appender_);
}

void DuckDbAppender::flush() { check(duckdb_appender_flush(appender_)); }

void DuckDbAppender::check(duckdb_state state) {
  if (state == DuckDBError) {
    const char* message = duckdb_appender_error(appender_);
    throw SoiError(ErrorCategory::storage,
                   "duckdb: append to " + table_ + " failed: " + (message ? message : "unknown error"));
  }
}

}  // namespace soi
