// Parquet sink: one file per (feed, trading day), hive-partitioned as
// <data_dir>/raw/<feed>/date=YYYY-MM-DD/data.parquet so that DuckDB, pandas /
// pyarrow, polars and Spark read the tree with no options (the `date` column
// comes from the directory name, so the file itself has no `date` column).
//
// Files are produced by DuckDB's Parquet writer: a table function (BarScan)
// streams the bars from memory in (ticker, ts) order into COPY, which writes a
// hidden temp file that is fsync'ed and renamed over data.parquet. Readers see
// the old day or the new day, never a partial file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "sinks/sink.hpp"

namespace soi {

class BarScan;
class DuckDbSession;

class ParquetBarSink : public BarSink {
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
  ParquetBarSink(std::string data_dir, ParquetSinkConfig config, int duckdb_threads = 1);
  ~ParquetBarSink() override;
  ParquetBarSink(const ParquetBarSink&) = delete;
  ParquetBarSink& operator=(const ParquetBarSink&) = delete;

  std::string_view name() const override { return "parquet"; }

  // Thread-safe (writes are serialized on the sink's one DuckDB connection).
  // Assumes one soi process writes a data dir at a time: temp files of other
  // writers in the partition directory are treated as stale and removed.
  // Throws SoiError(storage) naming the partition path on any failure; the
  // previous data.parquet of that day is then left untouched.
  PartitionWriteResult write_partition(std::string_view feed, Date date, std::span<const BarDay> tickers,
                                       const RunInfo& run) override;

  // <data_dir>/raw/<feed>/date=YYYY-MM-DD
  std::filesystem::path partition_dir(std::string_view feed, Date date) const;
  // <partition_dir>/data.parquet
  std::filesystem::path partition_file(std::string_view feed, Date date) const;

  // Removes temp files that interrupted writes left anywhere under
  // <data_dir>/raw. Call at start-up, before any write. Returns how many.
  std::size_t cleanup_stale_temp_files() const;

 private:
  std::string copy_sql(const std::string& target, const RunInfo& run, std::int64_t ingested_at_ms,
                       bool presorted) const;

  std::filesystem::path data_dir_;
  ParquetSinkConfig config_;
  std::unique_ptr<DuckDbSession> session_;
  std::unique_ptr<BarScan> scan_;  // declared after session_: destroyed before the database closes
  std::mutex mutex_;
  std::uint64_t temp_counter_ = 0;
};

// Lower-case hex SHA-256 of a file's content (OpenSSL EVP). Throws SoiError(storage).
std::string sha256_file_hex(const std::filesystem::path& path);

}  // namespace soi
