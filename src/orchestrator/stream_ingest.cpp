#include "orchestrator/stream_ingest.hpp"

#include "monitoring/logging.hpp"
#include "utils/error.hpp"

namespace soi {

StreamIngest::StreamIngest(StreamIngestOptions options, ErrorSummary& errors)
    : options_(options), errors_(errors), wal_(options.wal), queue_(options.queue) {}

void StreamIngest::submit(RecordBatch& batch) {
  if (batch.empty()) return;
  std::lock_guard lock(mutex_);
  try {
    wal_.append(batch);
    const auto now = std::chrono::steady_clock::now();
    if (options_.sync_interval.count() == 0 || now - last_sync_ >= options_.sync_interval) {
      wal_.sync();
      last_sync_ = now;
    }
    wal_failing_ = false;
  } catch (const SoiError& e) {
    // Recorded once per failure streak: the records still reach the sinks from
    // memory, only their crash protection is missing.
    if (!wal_failing_) errors_.record(e);
    wal_failing_ = true;
  }
  queue_.push(batch);
}

std::optional<WalPosition> StreamIngest::drained_position() {
  std::lock_guard lock(mutex_);
  if (queue_.stats().depth != 0 || wal_failing_) return std::nullopt;
  return wal_.end();
}

void StreamIngest::checkpoint(const WalPosition& position) {
  std::lock_guard lock(mutex_);
  wal_.sync();
  wal_.checkpoint(position);
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
