#include "orchestrator/stream_ingest.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "monitoring/logging.hpp"
#include "utils/error.hpp"

namespace soi {

StreamIngest::StreamIngest(StreamIngestOptions options, ErrorSummary& errors)
    : options_(options), errors_(errors), wal_(options.wal), queue_(options.queue) {
  if (options_.sync_interval.count() > 0)
    sync_thread_ = std::jthread([this](std::stop_token stop) { sync_loop(stop); });
}

StreamIngest::~StreamIngest() {
  if (!sync_thread_.joinable()) return;
  sync_thread_.request_stop();
  sync_thread_.join();
  sync_now();  // what the last interval appended
}

void StreamIngest::sync_loop(std::stop_token stop) {
  std::unique_lock lock(sync_mutex_);
  // Returns true (stop) as soon as a stop is requested, false when the interval is up.
  while (!sync_cv_.wait_for(lock, stop, options_.sync_interval, [&stop] { return stop.stop_requested(); })) {
    lock.unlock();
    sync_now();
    lock.lock();
  }
}

void StreamIngest::submit(RecordBatch& batch) {
  if (batch.empty()) return;
  std::lock_guard lock(mutex_);
  try {
    wal_.append(batch);
    // sync_interval 0 asks for a sync per batch; otherwise the sync thread
    // does (sync_now), so that readers do not wait for the disk.
    if (options_.sync_interval.count() == 0) wal_.sync();
    wal_failing_ = false;
  } catch (const SoiError& e) {
    // Recorded once per failure streak: the records still reach the sinks from
    // memory, only their crash protection is missing.
    if (!wal_failing_) errors_.record(e);
    wal_failing_ = true;
  }
  try {
    queue_.push(batch);
  } catch (const SoiError& e) {
    // The spill file cannot be written: the batch is in the log but will not
    // reach this run's sinks, so the log must keep everything from now on (a
    // restart replays it) and the reader must not mistake this for a drop.
    if (!queue_failing_) errors_.record(e);
    queue_failing_ = true;
    batch.clear();
  }
}

void StreamIngest::sync_now() {
  int fd;
  {
    std::lock_guard lock(mutex_);
    fd = wal_.dup_active_descriptor();
  }
  if (fd < 0) return;
  const bool ok = ::fdatasync(fd) == 0;
  const int err = errno;
  ::close(fd);
  syncs_.fetch_add(1, std::memory_order_relaxed);
  if (!ok) errors_.record(ErrorCategory::storage, std::string("cannot fdatasync the write-ahead log: ") + std::strerror(err),
                          ErrorContext{"stream", "", "", ""});
}

std::optional<WalPosition> StreamIngest::drained_position() {
  std::lock_guard lock(mutex_);
  if (queue_.stats().depth != 0 || wal_failing_ || queue_failing_) return std::nullopt;
  return wal_.end();
}

void StreamIngest::checkpoint(const WalPosition& position) {
  // No sync first: what precedes `position` is committed (the sinks synced it),
  // and what follows stays in segments the checkpoint keeps.
  std::optional<WriteAheadLog::PendingCheckpoint> pending;
  {
    std::lock_guard lock(mutex_);
    pending = wal_.prepare_checkpoint(position);
  }
  // The file's fsync and the deletions run without the lock: readers keep appending.
  if (pending) WriteAheadLog::write_checkpoint(*pending);
}

std::uint64_t StreamIngest::replay(const std::function<void(const WalRecord&)>& fn) {
  std::lock_guard lock(mutex_);
  return wal_.replay([&](const WalRecord& r, const WalPosition&) { fn(r); });
}

std::uint64_t StreamIngest::logged_records() const {
  std::lock_guard lock(mutex_);
  return wal_.stats().appended_records;
}

}  // namespace soi
