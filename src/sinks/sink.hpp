// The sink interface: a sink consumes whole partitions (one feed, one trading
// day) of typed records and replaces what it held for that day. Replacing a
// day is the history-correction path, so every sink makes the replacement
// atomic (a file rename, one transaction): readers see the old day or the new
// day, never a mix. Every sink owns its schema: it creates and migrates its
// files or tables itself.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "processing/dataset.hpp"
#include "processing/records.hpp"

namespace soi {

struct RunInfo {
  std::string run_id;            // e.g. 20250117T101502Z-3f9a
  std::int64_t started_at_ms = 0;
};

struct PartitionWriteResult {
  std::string sink;              // "parquet", "duckdb", "postgres"
  std::string feed;
  std::string date;              // YYYY-MM-DD
  std::string location;          // file path or table
  std::uint64_t rows = 0;
  std::uint64_t bytes = 0;
  std::string sha256;            // of the written file, when the sink writes files
  double seconds = 0;            // commit time
};

// Bars of one feed (spy, vix, options) for one trading day, every ticker of it.
// Each BarDay's bars are validated, de-duplicated and sorted by ts.
struct BarPartition {
  std::string_view feed;
  Date date;
  std::span<const BarDay> tickers;
  // The day's regular session in UTC ms [open, close): SQL sinks keep it so that
  // the consolidated view can give one row per session second. 0 when unknown.
  std::int64_t session_open_ms = 0;
  std::int64_t session_close_ms = 0;
  // The feed's table in the SQL sinks (its FeedSpec's sql_table); a SQL sink
  // refuses a partition without one.
  std::string_view sql_table;
  // The feed's dataset (dataset_for(FeedSpec::dataset)); nullptr: plain bars.
  const Dataset* dataset = nullptr;
};

// The day's options universe (the options feed's companion dataset,
// options_contracts: its names come from the feed registry).
struct ContractsPartition {
  Date date;
  const OptionsUniverse& universe;
};

// News published on one New York calendar day (the registry's news feed),
// de-duplicated on id.
struct NewsPartition {
  Date date;
  std::span<const NewsArticle> articles;
  // The configured tickers: each gets a sentiment_<ticker> column (lower-case,
  // non-alphanumerics as '_'), NULL when the article has no insight for it.
  std::span<const std::string> sentiment_tickers;
};

// The typed partitions callers build; each converts to the generic Partition that
// sinks receive (to_partition), naming its dataset and SQL table.
Partition to_partition(const BarPartition& partition);
Partition to_partition(const ContractsPartition& partition);
Partition to_partition(const NewsPartition& partition);

class Sink {
 public:
  virtual ~Sink() = default;
  virtual std::string_view name() const = 0;
  // Replaces the partition's day in this sink; an empty partition leaves the day
  // present and empty. Throws SoiError(storage) naming the day on failure, leaving
  // the previous content of the day intact. Everything that varies per dataset
  // comes from partition.dataset: a sink knows no feed names.
  virtual PartitionWriteResult write(const Partition& partition, const RunInfo& run) = 0;
  // True for a sink that reads what the record's sink (SinkSet's first, Parquet)
  // committed rather than the partition in memory (DuckDB views over the
  // files): SinkSet writes it after the first, and only when that succeeded.
  virtual bool reads_committed_partition() const { return false; }

  // A write in two halves, for a caller that has partitions of several days
  // at once (a backfill): prepare() does the part that needs no order and may
  // run on any thread for different days at once (Parquet: encoding the file
  // into the store's staging file); write_prepared() then replaces the day
  // with it, in the caller's order, as write() would. A sink without such a
  // part returns nullptr, and write_prepared() is write(). The partition must
  // be the same, and valid, for both calls. Both throw as write() does; a
  // Prepared that never reaches write_prepared() leaves nothing behind. A
  // Prepared must be destroyed before its sink.
  class Prepared {
   public:
    virtual ~Prepared() = default;
  };
  virtual std::unique_ptr<Prepared> prepare(const Partition& partition, const RunInfo& run) {
    (void)partition;
    (void)run;
    return nullptr;
  }
  virtual PartitionWriteResult write_prepared(const Partition& partition, const RunInfo& run,
                                              std::unique_ptr<Prepared> prepared) {
    (void)prepared;
    return write(partition, run);
  }

  // Conveniences over write(Partition). Derived sinks add `using Sink::write;`.
  PartitionWriteResult write(const BarPartition& partition, const RunInfo& run) {
    return write(to_partition(partition), run);
  }
  PartitionWriteResult write(const ContractsPartition& partition, const RunInfo& run) {
    return write(to_partition(partition), run);
  }
  PartitionWriteResult write(const NewsPartition& partition, const RunInfo& run) {
    return write(to_partition(partition), run);
  }
};

}  // namespace soi
