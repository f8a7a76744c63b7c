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
//
// The two halves are Sink::prepare (encode into the staging file) and
// write_prepared (put): a backfill encodes the days it has fetched on their
// fetch threads, several at once, and puts them in date order. Encoding runs
// on one of up to max_encoders() connections of the sink's one DuckDB database
// (each with a scan of its own), so files of different days are encoded at the
// same time; a second prepare of a key that is staged and not yet put waits
// (so a thread holding a Prepared of a day must not write that day again: it
// would wait for itself). A Prepared must not outlive its sink.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "sinks/sink.hpp"
#include "sinks/store/partition_store.hpp"
#include "utils/error.hpp"

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

  // Thread-safe: days are encoded on up to max_encoders() connections at once,
  // and the store's stage()..put() of one key never overlaps another of the
  // same key. Assumes one soi process writes a store at a time: staging files
  // of other writers of the day are treated as stale and removed.
  // Throws SoiError(storage) naming the partition's location on any failure;
  // the previous data.parquet of that day is then left untouched, unless the
  // store's put() failed after the replacement, which its message says
  // (PartitionStore::put).
  using Sink::write;
  PartitionWriteResult write(const Partition& partition, const RunInfo& run) override {
    return write_prepared(partition, run, prepare(partition, run));
  }
  std::unique_ptr<Prepared> prepare(const Partition& partition, const RunInfo& run) override;
  PartitionWriteResult write_prepared(const Partition& partition, const RunInfo& run,
                                      std::unique_ptr<Prepared> prepared) override;

  // Files encoded at once, at most: one per core, and no more than 4 (a
  // DuckDB connection each; a day's file is one single-threaded scan).
  static std::size_t max_encoders();

  // Shorthand for write(BarPartition{feed, date, tickers}).
  PartitionWriteResult write_partition(std::string_view feed, Date date, std::span<const BarDay> tickers,
                                       const RunInfo& run) {
    return write(BarPartition{feed, date, tickers}, run);
  }

  // Where the store keeps (or would keep) the feed's day: a path or a URL.
  std::string location(std::string_view feed, Date date) const;
  PartitionStore& store() const { return *store_; }

 private:
  struct Encoder;     // one connection of the database and its scan
  class PreparedFile; // a staged file on its way to put()

  // An idle encoder (a new one while fewer than max_encoders() exist), or the
  // first to be released.
  Encoder& acquire_encoder();
  void release_encoder(Encoder& encoder);
  void release_key(const std::string& key);
  // Writes the partition into path on `encoder`; returns the row count.
  std::uint64_t encode(Encoder& encoder, const Partition& partition, const RunInfo& run, const std::string& path);
  // " (FORMAT parquet, COMPRESSION ..., ROW_GROUP_SIZE ...)" for COPY ... TO.
  std::string copy_options() const;
  // SoiError(storage) "cannot write parquet partition <location>: <what>".
  SoiError write_failure(const std::string& key, const ErrorContext& context, const std::exception& e) const;

  std::shared_ptr<PartitionStore> store_;
  ParquetSinkConfig config_;
  std::unique_ptr<DuckDbSession> session_;  // owns the database every encoder connects to
  std::mutex mutex_;                        // guards what follows
  std::condition_variable changed_;         // an encoder or a key was released
  std::vector<std::unique_ptr<Encoder>> encoders_;  // declared after session_: closed before the database
  std::vector<Encoder*> idle_encoders_;
  int encoder_names_ = 1;         // the last scan name's number (the first encoder's is unnumbered)
  bool encoders_capped_ = false;  // a connection could not be made: no further attempt
  std::set<std::string> staged_keys_;  // prepared and not yet put (or dropped)
};

}  // namespace soi
