// The consolidated schema (sql/consolidated_schema.hpp) in ClickHouse's dialect,
// valid on 18.16 (Debian 12) and on current versions. The tables hold the same
// columns as in DuckDB and PostgreSQL, from the same datasets, with these types:
//   timestamp  Int64 UTC milliseconds, plus <name>_time DateTime ALIAS (18.16 has no
//              DateTime64); date Date; text String; text list Array(String); list of
//              structs String (the JSON document the other dialects store);
//   nullable   Nullable(T) (never on a key column)
// Engine: ReplacingMergeTree(ingested_at) PARTITION BY date ORDER BY <dataset key>.
// A day is replaced with ALTER TABLE ... REPLACE PARTITION from a staging table, so
// the version column only matters if a day was ever loaded twice outside that path.
//
// Sharded (a cluster): each shard holds the rows in <table>_local and a Distributed
// table <table> over the cluster answers queries, so queries name the same tables
// on one server and on a cluster. sessions is small and copied whole to every shard
// (local, not distributed): market_seconds on any shard joins it with the
// Distributed tables. The view sticks to 18.16's SQL: one JOIN per SELECT, no
// window functions, no ASOF join.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "processing/dataset.hpp"
#include "sinks/sql/consolidated_schema.hpp"

namespace soi::sql::clickhouse {

// How the tables are laid out: cluster empty -> one server, plain tables.
struct Layout {
  std::string database;
  std::string cluster;
  bool sharded() const { return !cluster.empty(); }
};

// The ClickHouse type of a column, Nullable(...) when the column is.
std::string type_name(const Column& column);
// `name` with embedded backquotes and backslashes escaped.
std::string quote_ident(std::string_view name);
// 'text' with quotes and backslashes escaped (ClickHouse string literal rules).
std::string quote_literal(std::string_view text);

// The table holding a shard's rows: "<table>_local" on a cluster, else `table`.
std::string local_table(const Layout& layout, std::string_view table);
// The column whose value picks a row's shard: ticker when the dataset has one
// (rows of one ticker stay together), else the first key column.
std::string routing_column(const Dataset& dataset);

// CREATE TABLE IF NOT EXISTS for the local table of `table` (every column of `columns`).
std::string create_local_table_sql(const Layout& layout, std::string_view table, const std::vector<Column>& columns,
                                   const std::vector<std::string>& key);
// CREATE TABLE IF NOT EXISTS for sessions (every shard keeps all of it).
std::string create_sessions_sql();
// CREATE TABLE <table> AS <table>_local ENGINE = Distributed(cluster, database, <table>_local).
std::string create_distributed_sql(const Layout& layout, std::string_view table);
// ALTER TABLE ... ADD COLUMN for a nullable column added to a dataset (news sentiment).
std::string add_column_sql(std::string_view table, const Column& column);
// CREATE VIEW market_seconds over the query-facing tables, with view_columns() in
// order; sentiment_column as in sql::create_view_sql ("" -> NULL).
std::string create_view_sql(std::string_view sentiment_column);

}  // namespace soi::sql::clickhouse
