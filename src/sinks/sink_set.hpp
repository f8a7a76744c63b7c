// The sinks of a run: Parquet first (the history of record), then every SQL
// sink sinks.yaml enables. A partition goes to every sink at once: the first on
// the calling thread, each other one on a thread of its own for the duration of
// the write (the sinks share nothing but the read-only partition, and each one's
// commit is atomic on its own, so their order does not matter; a day's commit
// then takes as long as its slowest sink, not their sum). The exception is a
// sink that reads the first one's committed files (reads_committed_partition:
// DuckDB views over Parquet): it runs once the first has finished, and fails
// without running when the first failed. One sink failing does not stop the
// others, and the caller learns exactly which ones failed.
//
// Threads: write() returns once every sink has finished. SinkSet adds no lock:
// every sink serializes its own writes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sinks/sink.hpp"
#include "utils/error.hpp"

namespace soi {

struct SinkSetResult {
  std::vector<PartitionWriteResult> written;  // one per sink that succeeded, in sink order
  std::vector<SoiError> failures;             // one per sink that failed (category storage), in sink order
  std::vector<std::string> failed_sinks;      // the name of the sink of each failure, in the same order
  bool ok() const { return failures.empty(); }
};

class SinkSet {
 public:
  void add(std::unique_ptr<Sink> sink) { sinks_.push_back(std::move(sink)); }
  bool empty() const { return sinks_.empty(); }
  std::size_t size() const { return sinks_.size(); }
  Sink& at(std::size_t i) { return *sinks_[i]; }

  SinkSetResult write(const Partition& partition, const RunInfo& run);
  SinkSetResult write(const BarPartition& partition, const RunInfo& run);
  SinkSetResult write(const ContractsPartition& partition, const RunInfo& run);
  SinkSetResult write(const NewsPartition& partition, const RunInfo& run);

 private:
  std::vector<std::unique_ptr<Sink>> sinks_;
};

}  // namespace soi
