// The sink interface: a sink consumes whole partitions (one feed, one trading
// day, every ticker of that day) and replaces what it held for that day.
// Replacing a day is the history-correction path, so every sink must make the
// replacement atomic: readers see the old day or the new day, never a mix.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "processing/records.hpp"

namespace soi {

struct RunInfo {
  std::string run_id;            // e.g. 20250117T101502Z-3f9a
  std::int64_t started_at_ms = 0;
};

struct PartitionWriteResult {
  std::string sink;              // "parquet", "duckdb", ...
  std::string feed;
  std::string date;              // YYYY-MM-DD
  std::string location;          // file path or table
  std::uint64_t rows = 0;
  std::uint64_t bytes = 0;
  std::string sha256;            // of the written file, when the sink writes files
  double seconds = 0;            // commit time
};

class BarSink {
 public:
  virtual ~BarSink() = default;
  virtual std::string_view name() const = 0;
  // Replaces the partition (feed, date) with `tickers` (bars already validated and
  // de-duplicated, sorted by ts). An empty span writes an empty partition.
  virtual PartitionWriteResult write_partition(std::string_view feed, Date date, std::span<const BarDay> tickers,
                                               const RunInfo& run) = 0;
};

}  // namespace soi
