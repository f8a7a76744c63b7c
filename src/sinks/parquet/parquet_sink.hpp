// Parquet sink, the history of record: one file per (feed, trading day), hive-partitioned as
// <data_dir>/raw/<feed>/date=YYYY-MM-DD/data.parquet so that DuckDB, pandas /
// pyarrow, polars and Spark read the tree with no options (the `date` column
// comes from the directory name, so the file itself has no `date` column).
//
// Files are produced by DuckDB's Parquet writer: a table function (DatasetScan)
// streams the partition's rows from memory, in the dataset's sort order, into COPY,
// which writes a hidden temp file that is fsync'ed and renamed over data.parquet.
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

namespace soi {

class DatasetScan;
class DuckDbSession;

// <data_dir>/raw/<feed>/date=YYYY-MM-DD: where a feed's day lives (for readers
// that have no sink, e.g. a restarted stream reading back what it committed).
std::filesystem::path parquet_partition_dir(const std::filesystem::path& data_dir, std::string_view feed, Date date);
// <parquet_partition_dir>/data.parquet
std::filesystem::path parquet_partition_file(const std::filesystem::path& data_dir, std::string_view feed, Date date);

class ParquetSink : public Sink {
 public:
  // Temp files start with '.' (hidden from pyarrow/Spark) and do not end in
  // .parquet (so *.parquet globs never pick up a half-written file).
  static constexpr std::string_view kTempPrefix = ".data.parquet.tmp-";
  static constexpr std::string_view kFileName = "data.parquet";

  // Validates `config` (throws SoiError(config)). duckdb_threads <= 0 lets
  // DuckDB use every core. The default is 1: a partition is one file of
  // usually one row group, which DuckDB writes on one thread anyway, and
  // measured throughput with more threads was lower (pool hand-offs), see
  // bench/parquet_write_bench.cpp.
  ParquetSink(std::string data_dir, ParquetSinkConfig config, int duckdb_threads = 1);
  ~ParquetSink() override;
  ParquetSink(const ParquetSink&) = delete;
  ParquetSink& operator=(const ParquetSink&) = delete;

  std::string_view name() const override { return "parquet"; }

  // Thread-safe (writes are serialized on the sink's one DuckDB connection).
  // Assumes one soi process writes a data dir at a time: temp files of other
  // writers in the partition directory are treated as stale and removed.
  // Throws SoiError(storage) naming the partition path on any failure; the
  // previous data.parquet of that day is then left untouched.
  using Sink::write;
  PartitionWriteResult write(const Partition& partition, const RunInfo& run) override;

  // Shorthand for write(BarPartition{feed, date, tickers}).
  PartitionWriteResult write_partition(std::string_view feed, Date date, std::span<const BarDay> tickers,
                                       const RunInfo& run) {
    return write(BarPartition{feed, date, tickers}, run);
  }

  // <data_dir>/raw/<feed>/date=YYYY-MM-DD
  std::filesystem::path partition_dir(std::string_view feed, Date date) const;
  // <partition_dir>/data.parquet
  std::filesystem::path partition_file(std::string_view feed, Date date) const;

  // Removes temp files that interrupted writes left anywhere under
  // <data_dir>/raw. Call at start-up, before any write. Returns how many.
  std::size_t cleanup_stale_temp_files() const;

 private:
  // The partition commit every record type shares: `produce` writes the
  // partition into the temp file it is given (on session_, with mutex_ held)
  // and returns the row count; the file is then hashed, fsync'ed and renamed
  // over data.parquet, and other Parquet files of the directory are removed.
  PartitionWriteResult commit(std::string_view feed, Date date,
                              const std::function<std::uint64_t(const std::string& temp_path)>& produce);
  // " (FORMAT parquet, COMPRESSION ..., ROW_GROUP_SIZE ...)" for COPY ... TO.
  std::string copy_options() const;

  std::filesystem::path data_dir_;
  ParquetSinkConfig config_;
  std::unique_ptr<DuckDbSession> session_;
  std::unique_ptr<DatasetScan> scan_;  // declared after session_: destroyed before the database closes
  std::mutex mutex_;
  std::uint64_t temp_counter_ = 0;
};

// Lower-case hex SHA-256 of a file's content (OpenSSL EVP). Throws SoiError(storage).
std::string sha256_file_hex(const std::filesystem::path& path);

}  // namespace soi
