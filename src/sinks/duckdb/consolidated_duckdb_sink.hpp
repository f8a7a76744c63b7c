// The embedded consolidated database: one DuckDB file (default
// <data_dir>/processed/consolidated/market.duckdb) holding one relation per
// feed, the sessions table and the per-second view market_seconds (schema in
// sinks/sql/consolidated_schema.hpp, shared with PostgreSQL).
//
// Two layouts (sinks.duckdb.layout), converted into each other at open:
//
// views (default): each feed is a view over its committed Parquet files
// (sinks/duckdb/parquet_views.hpp), so a day is stored once. A write runs after
// the Parquet sink's (reads_committed_partition), checks the row count of the
// day's file, recreates the feed's view only when it cannot show the day yet
// (the feed's first file, a new sentiment column), and replaces the day's
// session bounds when they changed. It needs the Parquet files on local disk
// under data_dir: with a bucket as the primary store, sink_factory picks tables.
//
// tables: each write replaces the partition's day in ONE transaction: DELETE the day,
// INSERT the rows (one INSERT ... SELECT from a DatasetScan over the partition
// in memory), replace the session bounds, COMMIT. The tables have no primary
// key: keys are unique upstream (dedup), and the delete of the whole day is
// what makes a rerun replace rather than duplicate it; a key index cost most
// of a commit and most of the file.
//
// What survives a crash: every committed day (DuckDB syncs its write-ahead
// log at each COMMIT). The log is folded into the file past 64 MB, not every
// 16 MB, and when the sink closes: see kCheckpointThreshold. DuckDB's buffers
// are capped by sinks.duckdb.memory_limit_mb.
//
// A failure rolls back, leaving the previous content of the day, and closes
// the database without checkpointing it (a failed COMMIT can leave DuckDB's
// memory unlike its file); the next write reopens the file, replaying the
// log of what was committed.
//
// DuckDB allows one read-write process per database file (an exclusive file
// lock; readers in other processes must wait or read the Parquet files). While
// soi writes, `duckdb -readonly` from another process fails too. Opening a file
// another process holds throws SoiError(storage) saying so.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "sinks/sink.hpp"
#include "sinks/sql/consolidated_schema.hpp"

namespace soi {

class DatasetScan;
class DuckDbSession;
class ParquetViews;

class ConsolidatedDuckDbSink : public Sink {
 public:
  // Opens (creating directories and file) config.path, or the default path
  // under data_dir when it is empty, then creates/migrates the schema (a file
  // made with primary keys is rebuilt without them, once; a file of the other
  // layout is converted) and (re)creates the views. config.layout "views"
  // reads the Parquet files under data_dir (a LocalStore's root). news_tickers: sources.news.tickers; each gets a sentiment column,
  // the first one feeds market_seconds.news_sentiment.
  // Throws SoiError(storage) when the file cannot be opened (locked by another
  // process, not a DuckDB file, no permission).
  // tables: one per feed (default: the four feeds' five tables).
  ConsolidatedDuckDbSink(const std::string& data_dir, const DuckDbSinkConfig& config,
                         std::vector<std::string> news_tickers, int duckdb_threads = 0,
                         std::vector<sql::Table> tables = sql::default_tables());
  ~ConsolidatedDuckDbSink() override;
  ConsolidatedDuckDbSink(const ConsolidatedDuckDbSink&) = delete;
  ConsolidatedDuckDbSink& operator=(const ConsolidatedDuckDbSink&) = delete;

  std::string_view name() const override { return "duckdb"; }

  // Thread-safe (serialized on the sink's one connection).
  // views: checks that the day's committed file holds the partition's rows,
  // recreates the feed's view when it cannot show the day yet, and replaces the
  // session bounds when they changed (each its own small transaction).
  // tables: one transaction: the day's rows (and, for a key that spans days,
  // rows of the same keys on other days) are deleted, the partition inserted,
  // the session bounds replaced; dynamic columns the table lacks are added
  // first, in their own transaction.
  // After a failure the database is closed; this call then reopens it first
  // (and throws SoiError(storage) if it cannot).
  using Sink::write;
  PartitionWriteResult write(const Partition& partition, const RunInfo& run) override;
  bool reads_committed_partition() const override { return views_layout_; }

  const std::filesystem::path& path() const { return path_; }
  // <data_dir>/processed/consolidated/market.duckdb
  static std::filesystem::path default_path(const std::string& data_dir);

 private:
  // Opens the file and creates/migrates the schema; throws SoiError(storage).
  void open_database();
  // Closes the database without writing what memory holds back to the file.
  void discard_database() noexcept;
  std::uint64_t replace_day_in_table(const Partition& partition, const RunInfo& run);
  std::uint64_t show_day_in_view(const Partition& partition);
  void delete_keys_elsewhere(const Partition& partition, const std::string& table);

  std::filesystem::path path_;
  std::vector<std::string> news_tickers_;
  std::vector<sql::Table> tables_;
  int threads_ = 0;
  int memory_limit_mb_ = 0;  // 0: DuckDB's own limit
  std::unique_ptr<DuckDbSession> session_;  // null after a failed write, until the next one reopens it
  std::unique_ptr<DatasetScan> scan_;       // declared after session_: destroyed before the database closes
  bool views_layout_ = true;
  std::unique_ptr<ParquetViews> parquet_views_;  // the views, or (tables) the conversion from them
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> sessions_written_;  // views: by day, this open
  std::mutex mutex_;
};

}  // namespace soi
