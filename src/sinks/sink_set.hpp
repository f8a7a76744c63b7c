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
// Opening a sink can take a while (a DuckDB database: ~0.1 s of a 1 s
// backfill), so a caller with other work to start may open the sinks in the
// background (open_in_background): they join the set once opened, and every
// member that needs them waits for that first.
//
// Threads: write() returns once every sink has finished. SinkSet adds no lock
// around writes: every sink serializes its own. wait_open() may be called from
// any thread.
#pragma once

#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
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
  using Opener = std::function<std::vector<std::unique_ptr<Sink>>()>;

  SinkSet() = default;
  // Waits for a background opening, then closes the sinks side by side, one
  // thread each: a sink's destructor must not touch another sink.
  ~SinkSet();
  SinkSet(const SinkSet&) = delete;
  SinkSet& operator=(const SinkSet&) = delete;

  void add(std::unique_ptr<Sink> sink);
  // Runs `open` on a thread of its own (on this one if no thread can be had);
  // the sinks it returns are added after any added before. At most once.
  void open_in_background(Opener open);
  // Blocks until a background opening has finished; rethrows its failure (a
  // SoiError: config for bad settings, storage for a database that cannot be
  // opened), then and on every later call. Without one, returns at once.
  // size(), at() and write() call it first, so a failure to open reaches the
  // caller as an exception, not as a failed sink of one partition.
  void wait_open();

  bool empty() {
    wait_open();
    return sinks_.empty();
  }
  std::size_t size() {
    wait_open();
    return sinks_.size();
  }
  Sink& at(std::size_t i) {
    wait_open();
    return *sinks_[i];
  }

  SinkSetResult write(const Partition& partition, const RunInfo& run);

  // The first sink's Sink::prepare, done ahead of write() on any thread
  // (several partitions at once); its failure is kept as a value and
  // reported by that write() as the first sink's failure.
  struct Prepared {
    std::unique_ptr<Sink::Prepared> first;
    std::optional<SoiError> failure;
  };
  Prepared prepare(const Partition& partition, const RunInfo& run);
  // write() with the first sink's half done by prepare().
  SinkSetResult write(const Partition& partition, const RunInfo& run, Prepared prepared);

  SinkSetResult write(const BarPartition& partition, const RunInfo& run);
  SinkSetResult write(const ContractsPartition& partition, const RunInfo& run);
  SinkSetResult write(const NewsPartition& partition, const RunInfo& run);

 private:
  std::vector<std::unique_ptr<Sink>> sinks_;
  std::mutex open_mutex_;  // guards opening_ and open_failure_
  std::future<std::vector<std::unique_ptr<Sink>>> opening_;
  std::exception_ptr open_failure_;
};

}  // namespace soi
