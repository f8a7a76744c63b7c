#include "processing/spill_queue.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "utils/durable_file.hpp"
#include "utils/error.hpp"

namespace soi {
namespace {

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string_view to_string(OverflowPolicy policy) noexcept {
  switch (policy) {
    case OverflowPolicy::spill: return "spill";
    case OverflowPolicy::block: return "block";
    case OverflowPolicy::drop_oldest: return "drop_oldest";
  }
  return "unknown";
}

SpillQueue::SpillQueue(SpillQueueOptions options) : options_(std::move(options)) {
  if (options_.capacity_batches == 0) throw std::invalid_argument("spill queue capacity must be at least 1");
  if (options_.policy == OverflowPolicy::spill && options_.spill_path.empty())
    throw std::invalid_argument("spill queue: the spill policy needs a spill_path");
  counters_.capacity = options_.capacity_batches;
}

SpillQueue::~SpillQueue() {
  if (spill_fd_ >= 0) {
    ::close(spill_fd_);
    std::error_code ec;
    std::filesystem::remove(options_.spill_path, ec);  // a leftover is harmless: truncated on next open
  }
}

void SpillQueue::spill_locked(const RecordBatch& batch) {
  const auto& path = options_.spill_path;
  if (spill_fd_ < 0) {
    if (path.has_parent_path()) create_directories_or_throw(path.parent_path());
    // O_TRUNC: a file left by an earlier process is stale (the WAL, not this
    // file, is what survives crashes).
    spill_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (spill_fd_ < 0)
      throw SoiError(ErrorCategory::storage, "cannot open spill file " + path.string() + ": " + std::strerror(errno));
  }
  encode_buffer_.clear();
  encode_wal_frames(batch, encode_buffer_);
  std::size_t done = 0;
  while (done < encode_buffer_.size()) {
    const ssize_t n = ::pwrite(spill_fd_, encode_buffer_.data() + done, encode_buffer_.size() - done,
                               static_cast<off_t>(spill_end_ + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      // Nothing was published: the bytes past spill_end_ are overwritten by the next spill.
      throw SoiError(ErrorCategory::storage, "cannot write spill file " + path.string() + ": " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  spilled_.push_back(SpilledBatch{spill_end_, encode_buffer_.size(), batch.size(), batch.oldest_receive_ms()});
  spill_end_ += encode_buffer_.size();
  spilling_ = true;
  ++counters_.spilled_batches;
  counters_.spilled_records += batch.size();
}

void SpillQueue::push(RecordBatch& batch) {
  std::unique_lock lock(mutex_);
  if (closed_) throw std::logic_error("push() on a closed spill queue");
  const bool full = memory_.size() >= options_.capacity_batches;
  if (spilling_ || full) {
    switch (options_.policy) {
      case OverflowPolicy::spill:
        // Once anything is spilled, newer batches follow it to the file: memory
        // holds only batches older than the spilled ones, so order is kept.
        spill_locked(batch);
        batch.clear();
        ++counters_.pushed_batches;
        lock.unlock();
        not_empty_.notify_one();
        return;
      case OverflowPolicy::block:
        not_full_.wait(lock, [&] { return memory_.size() < options_.capacity_batches || closed_; });
        if (closed_) throw std::logic_error("push() on a closed spill queue");
        break;
      case OverflowPolicy::drop_oldest:
        ++counters_.dropped_batches;
        counters_.dropped_records += memory_.front().size();
        memory_.pop_front();
        break;
    }
  }
  memory_.push_back(std::move(batch));
  batch.clear();
  ++counters_.pushed_batches;
  lock.unlock();
  not_empty_.notify_one();
}

bool decode_spilled_batch(std::string_view data, std::uint64_t records, RecordBatch& out) {
  out.clear();
  WalRecord record;
  std::size_t frame = 0;
  while (!data.empty()) {
    if (decode_wal_frame(data, record, frame) != WalFrameStatus::ok) return false;
    // A frame's symbol length is one byte, so out.add() never throws here.
    out.add(record);
    data.remove_prefix(frame);
  }
  return out.size() == records;
}

void SpillQueue::read_spilled(const SpilledBatch& entry, RecordBatch& out) {
  const auto& path = options_.spill_path;
  read_buffer_.resize(entry.bytes);
  std::size_t done = 0;
  while (done < entry.bytes) {
    const ssize_t n = ::pread(spill_fd_, read_buffer_.data() + done, entry.bytes - done,
                              static_cast<off_t>(entry.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw SoiError(ErrorCategory::storage, "cannot read spill file " + path.string() + ": " +
                                                 (n < 0 ? std::strerror(errno) : "unexpected end of file"));
    done += static_cast<std::size_t>(n);
  }
  if (!decode_spilled_batch(read_buffer_, entry.records, out))
    throw SoiError(ErrorCategory::storage, "corrupt batch in spill file " + path.string());
}

void SpillQueue::note_popped_locked(const RecordBatch& batch, std::int64_t now_ms) {
  ++counters_.popped_batches;
  if (!batch.empty()) counters_.max_lag_ms = std::max(counters_.max_lag_ms, now_ms - batch.oldest_receive_ms());
}

bool SpillQueue::pop(RecordBatch& out, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const bool ready = not_empty_.wait_for(
      lock, timeout, [&] { return !memory_.empty() || (!spilled_.empty() && !reading_) || closed_; });
  if (!ready) return false;
  if (!memory_.empty()) {
    std::swap(out, memory_.front());  // out's old buffers are freed with the deque slot
    memory_.pop_front();
    note_popped_locked(out, system_now_ms());
    lock.unlock();
    not_full_.notify_one();
    return true;
  }
  if (spilled_.empty() || reading_) return false;  // closed and empty

  // Memory is empty, so the front of the spill file is the oldest batch. Read it
  // without the lock: the producer keeps appending behind it meanwhile.
  const SpilledBatch entry = spilled_.front();
  reading_ = true;
  lock.unlock();
  try {
    read_spilled(entry, out);
  } catch (...) {
    lock.lock();
    reading_ = false;
    throw;
  }
  lock.lock();
  reading_ = false;
  spilled_.pop_front();
  ++counters_.drained_batches;
  counters_.drained_records += entry.records;
  if (spilled_.empty()) {
    // Fully drained: back to memory, and reclaim the file's space.
    spilling_ = false;
    spill_end_ = 0;
    if (::ftruncate(spill_fd_, 0) != 0) {
      // Harmless: the next spill overwrites from offset 0 anyway.
    }
  }
  note_popped_locked(out, system_now_ms());
  return true;
}

void SpillQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  not_empty_.notify_all();
  not_full_.notify_all();
}

SpillQueueStats SpillQueue::stats(std::int64_t now_ms) const {
  std::lock_guard lock(mutex_);
  SpillQueueStats s = counters_;
  s.memory_depth = memory_.size();
  s.depth = memory_.size() + spilled_.size();
  s.spill_file_bytes = spill_end_;
  std::int64_t oldest = 0;
  if (!memory_.empty()) oldest = memory_.front().oldest_receive_ms();
  else if (!spilled_.empty()) oldest = spilled_.front().oldest_receive_ms;
  s.lag_ms = s.depth > 0 ? std::max<std::int64_t>(0, now_ms - oldest) : 0;
  return s;
}

SpillQueueStats SpillQueue::stats() const { return stats(system_now_ms()); }

}  // namespace soi
