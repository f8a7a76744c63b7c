// Where every received record enters the pipeline: first the write-ahead log
// (so a kill -9 cannot lose it), then the reader -> writer queue (which never
// blocks the reader under the default spill policy). One mutex orders both, so
// the log and the queue hold batches in the same order, and a commit knows
// which log position its snapshot covers.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

#include "monitoring/error_summary.hpp"
#include "processing/spill_queue.hpp"
#include "processing/write_ahead_log.hpp"

namespace soi {

struct StreamIngestOptions {
  WalOptions wal;
  SpillQueueOptions queue;
  // fdatasync this often, on the ingest's own thread (0: every batch, by the reader).
  std::chrono::milliseconds sync_interval{1000};
};

class StreamIngest {
 public:
  // Throws SoiError(storage) when the log cannot be opened (e.g. held by another
  // process). With a sync_interval, starts the thread that syncs the log.
  StreamIngest(StreamIngestOptions options, ErrorSummary& errors);
  ~StreamIngest();  // stops and joins the sync thread, then syncs what its last interval left
  StreamIngest(const StreamIngest&) = delete;
  StreamIngest& operator=(const StreamIngest&) = delete;

  // Any thread. Logs then queues the batch (left empty for reuse). A log write
  // failure is recorded as an error and the batch still goes to the queue: the
  // records are kept in memory rather than dropped. A queue (spill) failure is
  // recorded and the log then keeps everything for the next run's replay.
  void submit(RecordBatch& batch);

  // fdatasync of the log's current segment outside the lock, so readers do
  // not wait on the disk (except when the log rolls over to a new segment,
  // every 64 MiB: see WriteAheadLog); the sync thread runs it every
  // sync_interval (nor does the writer wait). Failures are recorded as storage errors.
  void sync_now();
  std::chrono::milliseconds sync_interval() const { return options_.sync_interval; }

  // Writer thread: the next batch, waiting up to `timeout`.
  bool pop(RecordBatch& out, std::chrono::milliseconds timeout) { return queue_.pop(out, timeout); }

  // Writer thread, before taking a commit snapshot: the log position covered
  // by everything popped so far, when nothing is waiting in the queue (then
  // every logged record is in the snapshot); nullopt otherwise.
  std::optional<WalPosition> drained_position();
  // After the snapshot holding everything before `position` was committed.
  // The checkpoint file's fsync and the segment deletions run outside the lock.
  void checkpoint(const WalPosition& position);

  // Start-up: every record logged and not yet checkpointed (the previous run's).
  std::uint64_t replay(const std::function<void(const WalRecord&)>& fn);

  void close_queue() { queue_.close(); }
  SpillQueueStats queue_stats() const { return queue_.stats(); }
  std::uint64_t logged_records() const;
  std::uint64_t syncs() const noexcept { return syncs_.load(std::memory_order_relaxed); }  // fdatasyncs done

 private:
  StreamIngestOptions options_;
  ErrorSummary& errors_;
  mutable std::mutex mutex_;
  WriteAheadLog wal_;
  SpillQueue queue_;
  bool wal_failing_ = false;
  bool queue_failing_ = false;  // a batch could not be queued: never checkpoint again in this run

  void sync_loop(std::stop_token stop);

  std::atomic<std::uint64_t> syncs_{0};
  std::mutex sync_mutex_;  // only for the sync thread's interval wait
  std::condition_variable_any sync_cv_;  // woken by the destructor's stop request
  std::jthread sync_thread_;  // last: started once everything above exists
};

}  // namespace soi
