// The consolidated DuckDB database's feed tables as views over the committed
// Parquet files (sinks.duckdb.layout: views): each table of the shared schema
// (sinks/sql/consolidated_schema.hpp) becomes
//   CREATE VIEW <table> AS SELECT <its columns> FROM read_parquet(
//       '<data_dir>/raw/<directory>/date=*/data.parquet', hive_partitioning ...)
// so a day is stored once, by the Parquet sink, and a commit costs DuckDB
// nothing but this bookkeeping. The views show the columns and types the tables
// had: `date` from the hive directory, timestamps as TIMESTAMPTZ (a file's naive
// TIMESTAMP is UTC; make_timestamptz reads it so whatever the reader's
// TimeZone), lists of structs as the JSON text both SQL dialects store.
//
// What a view cannot get from the files alone, it computes:
//   - a key that spans days (news ids): an article whose publication time moved
//     is in two days' files; the view keeps the row written last (ingested_at),
//     as the table's delete-elsewhere did;
//   - a dynamic column (a news ticker's sentiment) that no file has yet is a
//     NULL column until a committed day brings it (stale_for); a dataset with
//     dynamic columns is read by name (union_by_name), so a file lacking one
//     gives NULLs. (The other datasets' files all have the same columns.)
//   - a table with no file yet is an empty view of the right columns, rebuilt
//     once its first day is committed (stale_for).
//
// A view is bound to absolute paths: moving the data directory needs a reopen
// (every open recreates the views). Filters on `date` prune whole files (not
// through news's dedup window, which reads every news file); a filter on a
// timestamp reads every file's footer.
//
// Threads: none of its own; the sink that owns it serializes every call on its
// one connection.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "processing/dataset.hpp"
#include "sinks/sql/consolidated_schema.hpp"

namespace soi {

// A column of the files as DESCRIBE reports it: name and DuckDB type.
struct FileColumn {
  std::string name;
  std::string type;
};

// '<data_dir>/raw/<directory>/date=*/data.parquet' with data_dir made absolute.
std::string parquet_day_glob(const std::filesystem::path& data_dir, std::string_view directory);

// read_parquet(<glob>, ...) of a table's files: hive `date` typed DATE; by name
// when the dataset has dynamic columns.
std::string read_table_files_sql(const sql::Table& table, const std::string& glob);

// CREATE OR REPLACE VIEW for `table`: `columns` (the dataset's, with the
// configured dynamic ones) in order, then any other column `files` have; a
// column the files lack is NULL. `files` empty: no file yet, an empty view.
std::string create_parquet_view_sql(const sql::Table& table, const std::vector<Column>& columns,
                                    const std::vector<FileColumn>& files, const std::string& glob);

class ParquetViews {
 public:
  // news_tickers: sources.news.tickers, whose sentiment columns every news view
  // shows (NULL until a file has them).
  ParquetViews(std::filesystem::path data_dir, std::vector<sql::Table> tables, std::vector<std::string> news_tickers);

  // In the caller's transaction: every feed table still stored as a table (a
  // database of the tables layout) is replaced by its view, a recorded
  // migration, after checking that its files hold, day by day, at least as
  // many rows as it does (throws SoiError(storage) naming the table and the
  // days otherwise: those rows exist only in the table). Then (re)creates
  // every view. Throws SoiError(config) for a table with no directory.
  void create(sql::SqlRunner& runner);

  // Whether the view of the partition's table must be recreated to show the
  // partition: it was made before any file existed, or its files did not yet
  // have one of the partition's columns.
  bool stale_for(const Partition& partition) const;
  // Recreates the view of the partition's table from the files as they are now.
  void refresh(sql::SqlRunner& runner, const Partition& partition);

  // The rows the committed file of the partition's day holds (its footer).
  std::uint64_t rows_in_day_file(sql::SqlRunner& runner, const Partition& partition) const;

  // The layout the other way, in the caller's transaction and in two steps
  // around sql::ensure_schema (which creates the tables, with their NOT NULLs
  // and configured columns): set_aside_views renames every feed view out of
  // the way and returns the tables' names; copy_set_aside_views then copies
  // what each showed into its table (sentiment columns only the files had are
  // added; a feed with no file left starts empty) and drops the view, a
  // recorded migration.
  std::vector<std::string> set_aside_views(sql::SqlRunner& runner) const;
  void copy_set_aside_views(sql::SqlRunner& runner, const std::vector<std::string>& names) const;

 private:
  struct ViewState {
    bool empty = true;              // made before any file existed
    std::set<std::string> columns;  // the columns its files had when it was made
  };
  const sql::Table& table_of(const Partition& partition) const;
  void create_view(sql::SqlRunner& runner, const sql::Table& table);

  std::filesystem::path data_dir_;
  std::vector<sql::Table> tables_;
  std::vector<std::string> news_tickers_;
  std::map<std::string, ViewState> views_;  // by table name
};

}  // namespace soi
