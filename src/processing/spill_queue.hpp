// Bounded queue of record batches between the socket reader thread (producer)
// and the writer thread (consumer).
//
// The reader must never block: a WebSocket reader that stops reading gets
// disconnected by the server as a slow consumer, and the events it missed are
// gone. So when the in-memory part is full, the default policy spills: overflow
// batches are appended to a local file and drained back, in order, once the
// consumer has emptied memory. While anything is spilled, newer batches are
// spilled too, so order is preserved end to end (memory holds the oldest
// batches, the spill file the ones after them).
//
// The spill file is a buffer, not a durability mechanism (the write-ahead log is
// that): it is truncated when opened, reset whenever it has been drained, and
// removed by the destructor. Frames use the WAL codec (length + CRC32C).
//
// Thread-safe: any number of threads may call stats(); push() and pop() are
// meant for one producer and one consumer. One mutex, held briefly: spill writes
// happen under it (a page-cache write), spill reads outside it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>

#include "processing/write_ahead_log.hpp"  // RecordBatch, frame codec

namespace soi {

enum class OverflowPolicy : std::uint8_t {
  spill,        // default: overflow to the spill file; never drops, never blocks
  block,        // producer waits for room (tests and comparison only)
  drop_oldest,  // discard the oldest in-memory batch, counted in dropped_*
};
std::string_view to_string(OverflowPolicy policy) noexcept;

struct SpillQueueOptions {
  std::size_t capacity_batches = 1024;  // in-memory batches
  OverflowPolicy policy = OverflowPolicy::spill;
  std::filesystem::path spill_path;     // required for spill, e.g. <data_dir>/state/spill/<stream>.spill
};

// Counters for the heartbeat. Totals are since construction.
struct SpillQueueStats {
  std::size_t depth = 0;              // batches waiting: in memory + in the spill file
  std::size_t memory_depth = 0;
  std::size_t capacity = 0;           // in-memory capacity
  std::uint64_t pushed_batches = 0;
  std::uint64_t popped_batches = 0;
  std::uint64_t spilled_batches = 0;
  std::uint64_t spilled_records = 0;
  std::uint64_t spill_file_bytes = 0;  // current size of the spill file
  std::uint64_t drained_batches = 0;   // read back from the spill file
  std::uint64_t drained_records = 0;
  std::uint64_t dropped_batches = 0;   // drop_oldest only
  std::uint64_t dropped_records = 0;
  std::int64_t lag_ms = 0;      // now - receive time of the oldest undrained record (0 when empty)
  std::int64_t max_lag_ms = 0;  // largest lag seen by pop() (receive time of a batch vs when it was popped)
};

// Decodes one spilled batch (the frames read back from the spill file) into `out`,
// which is cleared first. False when a frame is torn or corrupt, or the batch does
// not hold exactly `records` records (the index written at spill time).
bool decode_spilled_batch(std::string_view data, std::uint64_t records, RecordBatch& out);

class SpillQueue {
 public:
  // Throws std::invalid_argument for capacity 0, or spill without a spill_path.
  explicit SpillQueue(SpillQueueOptions options);
  ~SpillQueue();  // removes the spill file
  SpillQueue(const SpillQueue&) = delete;
  SpillQueue& operator=(const SpillQueue&) = delete;

  // Producer. Takes the batch (left empty, ready for reuse) unless it throws.
  // spill / drop_oldest: never waits for the consumer. block: waits for room.
  // Throws SoiError(storage) with the path when the spill file cannot be written
  // (the batch is then left untouched), std::logic_error after close().
  void push(RecordBatch& batch);

  // Consumer. Moves the oldest batch into `out` (replacing its content) and
  // returns true; waits up to `timeout` for one. Returns false on timeout, or
  // when the queue is closed and empty. Throws SoiError(storage) when a spilled
  // batch cannot be read back.
  bool pop(RecordBatch& out, std::chrono::milliseconds timeout);

  // No more pushes: wakes the consumer, which still receives every queued batch.
  void close();

  SpillQueueStats stats(std::int64_t now_ms) const;
  SpillQueueStats stats() const;  // lag against the system clock

 private:
  struct SpilledBatch {
    std::uint64_t offset;
    std::uint64_t bytes;
    std::uint64_t records;
    std::int64_t oldest_receive_ms;
  };
  void spill_locked(const RecordBatch& batch);
  void read_spilled(const SpilledBatch& entry, RecordBatch& out);
  void note_popped_locked(const RecordBatch& batch, std::int64_t now_ms);

  const SpillQueueOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;  // block policy only
  std::deque<RecordBatch> memory_;
  std::deque<SpilledBatch> spilled_;  // index of the spill file, oldest first
  bool spilling_ = false;             // true from the first spill until the file is fully drained
  bool reading_ = false;              // the consumer is reading a spilled batch (outside the lock)
  bool closed_ = false;
  int spill_fd_ = -1;
  std::uint64_t spill_end_ = 0;       // bytes written to the spill file
  std::string encode_buffer_;         // reused under the lock
  std::string read_buffer_;           // consumer only
  SpillQueueStats counters_;
};

}  // namespace soi
