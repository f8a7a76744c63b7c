// The consolidated SQL schema shared by every SQL sink (DuckDB file, PostgreSQL):
// one table per feed with the dedup key as primary key, the sessions table, a
// schema_version table, and the per-second view market_seconds. Both sinks take
// every statement from here (with their dialect), so they cannot drift apart.
//
// Tables (DuckDB type / PostgreSQL type where they differ):
//   spy_bars, vix_bars, option_bars  PK (ticker, ts)
//     date DATE, ticker, ts TIMESTAMPTZ, open, high, low, close DOUBLE,
//     volume DOUBLE NULL, vwap DOUBLE NULL, transactions BIGINT NULL (NULL when the
//     wire did not carry the field), origin, run_id, ingested_at TIMESTAMPTZ;
//     option_bars adds underlying, contract_type ('call'|'put'), strike, expiration DATE.
//   sessions          PK (date): open_ts, close_ts TIMESTAMPTZ, the regular session [open, close)
//   option_contracts  PK (date, ticker)
//   news              PK (id): date (New York date of publication), ..., tickers and
//                     keywords VARCHAR[] / TEXT[], insights JSON / JSONB, run_id,
//                     ingested_at, then one sentiment_<ticker> column per configured ticker
//   schema_version    PK (version): description, applied_at
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

#include "processing/records.hpp"

namespace soi::sql {

enum class Dialect { duckdb, postgres };

enum class ColumnType { date, text, timestamptz, float64, int64, int32, text_array, json };

struct Column {
  std::string name;
  ColumnType type;
  bool not_null = false;
};

// The base schema's version (schema_version row 1). A sentiment column added
// later is recorded as the next version with description "add news.<column>".
inline constexpr int kBaseSchemaVersion = 1;
inline constexpr std::string_view kViewName = "market_seconds";

std::string type_name(Dialect dialect, ColumnType type);
// "name" with embedded quotes doubled.
std::string quote_ident(std::string_view name);
// 'text' with embedded quotes doubled (standard_conforming_strings).
std::string quote_literal(std::string_view text);

// Column lists in table order (news: the base columns only; the sentiment
// columns follow them).
std::vector<Column> bar_columns(bool options);
std::vector<Column> contract_columns();
std::vector<Column> news_columns();
std::vector<std::string> primary_key(std::string_view table);

// CREATE TABLE IF NOT EXISTS (and, for PostgreSQL, the indexes the view and the
// day replacement need) for every table.
std::vector<std::string> create_tables_sql(Dialect dialect);
// CREATE OR REPLACE VIEW market_seconds (same columns whatever the argument, so
// PostgreSQL accepts the replacement). sentiment_column: the news column whose mean is
// news_sentiment ("" -> NULL).
std::vector<std::string> create_view_sql(Dialect dialect, std::string_view sentiment_column);
// The view's columns, in order.
std::vector<std::string> view_columns();

// INSERT INTO table (columns) SELECT columns FROM source ON CONFLICT (pk) DO UPDATE SET ...
std::string upsert_sql(std::string_view table, const std::vector<std::string>& columns, std::string_view source);
// Upserts one sessions row (UTC ms bounds).
std::string upsert_session_sql(std::string_view date, std::int64_t open_ms, std::int64_t close_ms);
// DELETE FROM table WHERE date = DATE 'date'.
std::string delete_day_sql(std::string_view table, std::string_view date);

// What a sink needs to run the schema statements: executes SQL in its open
// transaction (throwing on failure) and returns small text results.
class SqlRunner {
 public:
  virtual ~SqlRunner() = default;
  virtual void execute(const std::string& sql) = 0;
  virtual std::vector<std::vector<std::optional<std::string>>> query(const std::string& sql) = 0;
};

// In the caller's transaction: creates missing tables, records the base
// version, adds a sentiment column for every ticker of news_tickers that has
// none (each one a recorded migration), then (re)creates the view on the first
// ticker's column. Returns the columns it added.
std::vector<std::string> ensure_schema(SqlRunner& runner, Dialect dialect,
                                       std::span<const std::string> news_tickers);
// The sentiment-column migration alone (used by news writes for tickers that
// appeared since the sink opened). Returns the columns it added.
std::vector<std::string> ensure_sentiment_columns(SqlRunner& runner, Dialect dialect,
                                                  std::span<const std::string> news_tickers);

// [{"ticker":..,"sentiment":..,"reasoning":..}, ...]: the insights column.
std::string insights_json(const NewsArticle& article);
// The value of the article's sentiment column for `ticker` (the first insight
// naming it, compared case-insensitively), nullopt when it has none.
std::optional<std::string_view> sentiment_for(const NewsArticle& article, std::string_view ticker);

}  // namespace soi::sql
