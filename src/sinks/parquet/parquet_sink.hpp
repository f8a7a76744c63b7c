// Parquet sink, the history of record: one file per (feed, trading day), stored
// in a PartitionStore under raw/<feed>/date=YYYY-MM-DD/data.parquet (with a
// LocalStore over the data dir: a hive-partitioned tree that DuckDB, pandas /
// pyarrow, polars and Spark read with no options; the `date` column comes from
// the directory name, so the file itself has no `date` column).
//
// Files are produced by DuckDB's Parquet writer: a table function (DatasetScan)
// streams the partition's rows from memory, in the dataset's sort order, into COPY,
// which writes the store's staging file; PartitionStore::put then replaces the day
// atomically (LocalStore: hash + fsync in one read, rename, directory fsync).
// Readers see the old day or the new day, never a partial file. The columns are the
// dataset's (processing/dataset.hpp) without `date`, which is the directory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "sinks/sink.hpp"
#include "sinks/store/partition_store.hpp"

namespace soi {

class DatasetScan;
class DuckDbSession;

// <data_dir>/<partition_key(feed, date)>: where a LocalStore over data_dir
// keeps a feed's day. For tests and messages only: readers of committed days
// go through a PartitionStore (sinks/store).
std::filesystem::path parquet_partition_file(const std::filesystem::path& data_dir, std::string_view feed, Date date);

class ParquetSink : public Sink {
 public:
  // Validates `config` (throws SoiError(config)). duckdb_threads <= 0 lets
  // DuckDB use every core. The default is 1: a partition is one file of
  // usually one row group, which DuckDB writes on one thread anyway, and
  // measured throughput with more threads was lower (pool hand-offs), see
  // bench/parquet_write_bench.cpp.
  ParquetSink(std::shared_ptr<PartitionStore> store, ParquetSinkConfig config, int duckdb_threads = 1);
  ~ParquetSink() override;
  ParquetSink(const ParquetSink&) = delete;
  ParquetSink& operator=(const ParquetSink&) = delete;

  std::string_view name() const override { return "parquet"; }

  // Thread-safe (writes are serialized on the sink's one DuckDB connection,
  // and the store's stage()..put() of a day under the same mutex). Assumes one
  // soi process writes a store at a time: staging files of other writers of
  // the day are treated as stale and removed.
  // Throws SoiError(storage) naming the partition's location on any failure;
  // the previous data.parquet of that day is then left untouched, unless the
  // store's put() failed after the replacement, which its message says
  // (PartitionStore::put).
  using Sink::write;
  PartitionWriteResult write(const Partition& partition, const RunInfo& run) override;

  // Shorthand for write(BarPartition{feed, date, tickers}).
  PartitionWriteResult write_partition(std::string_view feed, Date date, std::span<const BarDay> tickers,
                                       const RunInfo& run) {
    return write(BarPartition{feed, date, tickers}, run);
  }

  // Where the store keeps (or would keep) the feed's day: a path or a URL.
  std::string location(std::string_view feed, Date date) const;
  PartitionStore& store() const { return *store_; }

 private:
  // The partition commit every record type shares: `produce` writes the
  // partition into the staging file it is given (on session_, with mutex_
  // held) and returns the row count; the store's put() then replaces the day.
  PartitionWriteResult commit(std::string_view feed, Date date,
                              const std::function<std::uint64_t(const std::string& temp_path)>& produce);
  // " (FORMAT parquet, COMPRESSION ..., ROW_GROUP_SIZE ...)" for COPY ... TO.
  std::string copy_options() const;

  std::shared_ptr<PartitionStore> store_;
  ParquetSinkConfig config_;
  std::unique_ptr<DuckDbSession> session_;
  std::unique_ptr<DatasetScan> scan_;  // declared after session_: destroyed before the database closes
  std::mutex mutex_;
};

}  // namespace soi
