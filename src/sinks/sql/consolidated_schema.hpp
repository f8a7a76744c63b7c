// The consolidated SQL schema shared by every SQL sink (DuckDB file, PostgreSQL):
// one table per feed, the sessions table, a schema_version table, and the
// per-second view market_seconds. PostgreSQL keys each table on its dataset's
// dedup key (its upserts need one); DuckDB keys none (a key there is an index
// that each day's delete + insert maintains; the keys are unique upstream, and a
// DuckDB file made with keys is rebuilt without them once, a recorded version). Both sinks take
// every statement from here (with their dialect), so they cannot drift apart.
//
// Tables: one per feed, with the columns of its dataset (processing/dataset.hpp) in
// this dialect (text lists VARCHAR[] / TEXT[], lists of structs JSON / JSONB, timestamps
// TIMESTAMPTZ), keyed (PostgreSQL) on the dataset's key; plus
//   sessions          key (date): open_ts, close_ts TIMESTAMPTZ, the regular session [open, close)
//   schema_version    key (version): description, applied_at
// A table created before a column moved in its dataset keeps its physical order:
// every statement here names its columns.
//
// View market_seconds: one row per regular-session second of every date in
// sessions, see view_columns().
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/feed_registry.hpp"
#include "processing/dataset.hpp"

namespace soi::sql {

enum class Dialect { duckdb, postgres };

// A consolidated table: its name, the dataset whose rows it holds, and the
// directory of its Parquet partitions (data/raw/<directory>), which a DuckDB
// view over the files reads.
struct Table {
  std::string name;
  const Dataset* dataset = nullptr;
  std::string directory;
};

// One table per feed of the registry (and per companion dataset), each holding
// its feed's dataset: the SQL sinks create and migrate exactly these.
std::vector<Table> tables_of(const FeedRegistry& feeds);
// tables_of(default_feeds()): spy_bars, vix_bars, option_bars, option_contracts, news.
std::vector<Table> default_tables();

// The base schema's version (schema_version row 1). A column added later (a news
// sentiment column) is recorded as the next version, described "add <table>.<column>".
inline constexpr int kBaseSchemaVersion = 1;
inline constexpr std::string_view kViewName = "market_seconds";

std::string type_name(Dialect dialect, LogicalType type);
// "name" with embedded quotes doubled.
std::string quote_ident(std::string_view name);
// 'text' with embedded quotes doubled (standard_conforming_strings).
std::string quote_literal(std::string_view text);

// CREATE TABLE IF NOT EXISTS for schema_version, sessions and every table, keyed on
// its dataset's key in PostgreSQL; PostgreSQL also gets the indexes the day replacement and the
// view need: (date, first timestamp column) unless the key already starts with date.
std::vector<std::string> create_tables_sql(Dialect dialect, std::span<const Table> tables);
// CREATE OR REPLACE VIEW market_seconds (same columns whatever the argument, so
// PostgreSQL accepts the replacement). sentiment_column: the news column whose mean is
// news_sentiment ("" -> NULL).
std::vector<std::string> create_view_sql(Dialect dialect, std::string_view sentiment_column);
// The view's columns, in order.
std::vector<std::string> view_columns();

// INSERT INTO table (columns) SELECT columns FROM source ON CONFLICT (key) DO UPDATE SET ...
std::string upsert_sql(std::string_view table, const std::vector<std::string>& columns,
                       const std::vector<std::string>& key, std::string_view source);
// Upserts one sessions row (UTC ms bounds); PostgreSQL, whose sessions table is keyed.
std::string upsert_session_sql(std::string_view date, std::int64_t open_ms, std::int64_t close_ms);
// The same as a DELETE and an INSERT (two statements, for one transaction): DuckDB,
// whose tables have no key.
std::string replace_session_sql(std::string_view date, std::int64_t open_ms, std::int64_t close_ms);
// DELETE FROM table WHERE date = DATE 'date'.
std::string delete_day_sql(std::string_view table, std::string_view date);

// A list of structs as the JSON array both dialects store: [{"field": "value", ...}, ...].
// `elements` holds every field of each element in column.struct_fields order.
std::string struct_list_json(const Column& column, std::span<const std::string> elements);

// What a sink needs to run the schema statements: executes SQL in its open
// transaction (throwing on failure) and returns small text results.
class SqlRunner {
 public:
  virtual ~SqlRunner() = default;
  virtual void execute(const std::string& sql) = 0;
  virtual std::vector<std::vector<std::optional<std::string>>> query(const std::string& sql) = 0;
};

// In the caller's transaction: creates missing tables, (DuckDB) rebuilds keyed tables
// without their key, records the base version,
// adds the columns each news table lacks for `news_tickers` (each one a recorded
// migration), then (re)creates the view on the first ticker's sentiment column.
// Returns the columns it added.
std::vector<std::string> ensure_schema(SqlRunner& runner, Dialect dialect, std::span<const Table> tables,
                                       std::span<const std::string> news_tickers);
// Adds every column of `columns` that `table` lacks (a partition's dynamic columns,
// e.g. the sentiment column of a ticker added to the configuration), each recorded in
// schema_version. Only nullable columns can be added. Returns the columns it added.
std::vector<std::string> ensure_columns(SqlRunner& runner, Dialect dialect, std::string_view table,
                                        const std::vector<Column>& columns);

}  // namespace soi::sql
