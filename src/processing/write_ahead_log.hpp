// Write-ahead log of streamed aggregate events ("never lose data").
//
// The stream reader appends every batch of received bars here before the
// records can be lost anywhere else; after a successful commit to the sinks the
// writer checkpoints the position it committed up to. After a crash, replay()
// yields exactly the records appended after the last checkpoint, in order.
//
// Durability: append() is one write() per batch, so once it returns the records
// are in the OS page cache and survive a kill -9 of the process. Only an OS
// crash or power loss can lose records appended since the last sync() (the
// caller decides how often: per batch or every N ms).
//
// On disk, under one directory per stream (e.g. <data_dir>/state/wal/<stream>/):
//   segment-<16-digit seq>.wal   8-byte magic, then frames
//   checkpoint                   committed position, replaced atomically
//   LOCK                         flock()ed by the owning process
// A frame is [u32 crc32c][u32 payload length][payload], little-endian; the CRC
// covers the length and the payload, so a torn tail (a write cut short by a kill
// or a crash) or a corrupt frame is detected and ignored: replay of that segment
// stops at the last valid frame. Existing segments are never modified: every
// open starts a new segment (lazily, at the first append), so a torn tail is
// never followed by newer records in the same file.
//
// Not thread-safe: one owner (the thread that appends) per log.
#pragma once

#include <compare>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "processing/records.hpp"

namespace soi {

// One streamed aggregate event as logged. `symbol` is a view: into the
// RecordBatch it came from, or into the reader's buffer during replay (valid
// only for the duration of the callback).
struct WalRecord {
  std::uint8_t feed = 0;  // the caller's feed/market id (e.g. stocks, options, indices)
  std::string_view symbol;
  Bar bar;                      // incl. bar.fields (BarFieldMask)
  std::int64_t receive_ms = 0;  // UTC, when the reader received the event
};

// An owning batch of records with no per-record allocation: symbols live in one
// arena string, entries in one vector; clear() keeps both capacities, so a
// reused batch stops allocating after warm-up.
class RecordBatch {
 public:
  // Longest symbol a record may carry (option tickers are ~21 characters).
  static constexpr std::size_t kMaxSymbolBytes = 255;

  // Throws std::invalid_argument when the symbol is longer than kMaxSymbolBytes.
  void add(std::uint8_t feed, std::string_view symbol, const Bar& bar, std::int64_t receive_ms);
  void add(const WalRecord& record) { add(record.feed, record.symbol, record.bar, record.receive_ms); }
  WalRecord operator[](std::size_t i) const;
  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  void clear() noexcept;
  // Earliest receive_ms of the batch (0 when empty): drives the queue's lag counter.
  std::int64_t oldest_receive_ms() const noexcept { return oldest_receive_ms_; }

 private:
  struct Entry {
    Bar bar;
    std::int64_t receive_ms;
    std::uint32_t symbol_offset;
    std::uint8_t symbol_size;
    std::uint8_t feed;
  };
  std::vector<Entry> entries_;
  std::string symbols_;
  std::int64_t oldest_receive_ms_ = 0;
};

// ---- frame codec (shared with the spill queue's overflow file) ----

// CRC-32C (Castagnoli), table-driven (slicing-by-8): no dependency. crc32c("123456789") == 0xE3069283.
// Uses the SSE4.2 crc32 instruction when the CPU has it (checked once at start-up).
std::uint32_t crc32c(std::string_view data, std::uint32_t crc = 0) noexcept;
// The table-driven version alone (what non-x86 machines use): tests compare both.
std::uint32_t crc32c_portable(std::string_view data, std::uint32_t crc = 0) noexcept;

// Appends one frame per record of `batch` to `out` (out is not cleared).
void encode_wal_frames(const RecordBatch& batch, std::string& out);

enum class WalFrameStatus : std::uint8_t { ok, incomplete, corrupt };
// Decodes the frame at the start of `data`. ok: `record` is set (symbol views
// into `data`) and `frame_bytes` is the frame's size. incomplete: `data` ends
// inside the frame. corrupt: bad length, CRC mismatch or unknown version.
WalFrameStatus decode_wal_frame(std::string_view data, WalRecord& record, std::size_t& frame_bytes) noexcept;

// ---- the log ----

// A point in the log: a segment and a byte offset inside it. Positions order
// like the records they separate.
struct WalPosition {
  std::uint64_t segment = 0;
  std::uint64_t offset = 0;
  friend auto operator<=>(const WalPosition&, const WalPosition&) = default;
};

struct WalOptions {
  std::filesystem::path dir;                       // one directory per stream
  std::uint64_t segment_bytes = 64ull << 20;       // roll over to a new segment past this size
};

struct WalStats {
  std::uint64_t appended_records = 0;
  std::uint64_t appended_bytes = 0;
  std::uint64_t syncs = 0;
  std::uint64_t replayed_records = 0;
  std::uint64_t skipped_bytes = 0;  // torn tails / corrupt frames ignored by replay
  std::uint64_t deleted_segments = 0;
};

class WriteAheadLog {
 public:
  static constexpr std::uint64_t kSegmentHeaderBytes = 8;

  // Opens (creating) the log directory and takes its lock. Throws SoiError(storage)
  // with the path: directory not creatable, log already open in another process,
  // unreadable or malformed checkpoint file.
  explicit WriteAheadLog(WalOptions options);
  // Closes without syncing and without checkpointing (exactly what a crash leaves).
  ~WriteAheadLog();
  WriteAheadLog(const WriteAheadLog&) = delete;
  WriteAheadLog& operator=(const WriteAheadLog&) = delete;

  // Appends the batch with one write() (rolling over to a new segment first when
  // the current one would exceed segment_bytes). Returns the position after the
  // batch: checkpoint() it once these records are committed. Throws
  // SoiError(storage); a failed append leaves no partial frame behind (the
  // segment is truncated back, or abandoned for a new one).
  WalPosition append(const RecordBatch& batch);

  // fdatasync() of the current segment: records appended so far survive an OS crash.
  void sync();
  // A duplicate descriptor of the current segment (-1 before the first append),
  // for a caller that fdatasyncs it without holding the log's owner lock; the
  // caller closes it. A sealed segment is synced when the log rolls over,
  // inside append(), before its successor gets any record: what an OS crash
  // leaves of the log is always a prefix of it (a hole in the middle would
  // escape the restart's gap repair, which starts at the last second held).
  int dup_active_descriptor() const noexcept;

  // Calls fn(record, position after record) for every valid record after the
  // checkpoint, in append order, across all segments (including records appended
  // by this instance). Returns the number of records.
  std::uint64_t replay(const std::function<void(const WalRecord&, const WalPosition&)>& fn);

  // Records durably (write_file_atomically) that everything before `position` is
  // committed, then deletes the segments entirely before it. A position not after
  // the current checkpoint is a no-op; one past end() throws std::invalid_argument.
  void checkpoint(const WalPosition& position);

  // checkpoint() in two steps, for a log shared between threads: prepare under
  // the owner's lock (validates; checkpointed() advances), then write without it.
  // Writing touches nothing an append uses: the checkpoint file, and segments
  // entirely before the position (appends go to the current segment, at or
  // after it). nullopt: the position is not after the current checkpoint.
  struct PendingCheckpoint {
    std::filesystem::path file;
    std::string text;
    std::vector<std::filesystem::path> obsolete;  // deleted once the checkpoint is durable
  };
  std::optional<PendingCheckpoint> prepare_checkpoint(const WalPosition& position);
  static void write_checkpoint(const PendingCheckpoint& pending);

  WalPosition checkpointed() const noexcept { return checkpoint_; }
  // The position after the last appended record.
  WalPosition end() const noexcept { return {active_seq_, active_size_}; }
  const WalStats& stats() const noexcept { return stats_; }
  const std::filesystem::path& dir() const noexcept { return options_.dir; }
  // Sequence numbers of the segment files on disk, ascending.
  std::vector<std::uint64_t> segments() const;
  std::filesystem::path segment_path(std::uint64_t seq) const;

 private:
  void open_new_segment();
  void close_active() noexcept;

  WalOptions options_;
  int lock_fd_ = -1;
  int active_fd_ = -1;             // -1 until the first append of this instance
  bool active_broken_ = false;     // a failed append: roll over before the next one
  std::uint64_t active_seq_ = 1;
  std::uint64_t active_size_ = kSegmentHeaderBytes;
  WalPosition checkpoint_;
  std::string buffer_;             // encoded batch, reused
  WalStats stats_;
};

}  // namespace soi
