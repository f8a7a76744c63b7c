#include "processing/write_ahead_log.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <cstdio>
#include <stdexcept>

#include "utils/durable_file.hpp"
#include "utils/error.hpp"
#include "utils/json_text.hpp"

namespace soi {

// Frames are memcpy'd in native order; every platform soi targets is little-endian.
static_assert(std::endian::native == std::endian::little, "WAL frames are little-endian");

namespace {

constexpr char kMagic[WriteAheadLog::kSegmentHeaderBytes] = {'S', 'O', 'I', 'W', 'A', 'L', '0', '1'};
constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kFrameHeader = 8;   // crc32c + payload length
constexpr std::size_t kFixedPayload = 76; // version, feed, fields, symbol size, 9 x 8-byte fields
// Segment files are named with 16 digits (segment-<seq>.wal).
constexpr std::uint64_t kMaxSegmentSeq = 9'999'999'999'999'999ull;
constexpr std::size_t kMaxPayload = kFixedPayload + RecordBatch::kMaxSymbolBytes;

// ---- CRC-32C, slicing-by-8 (reflected polynomial 0x82F63B78) ----
struct CrcTables {
  std::uint32_t t[8][256];
  constexpr CrcTables() : t{} {
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[0][i] = c;
    }
    for (std::uint32_t i = 0; i < 256; ++i)
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  }
};
constexpr CrcTables kCrc{};

template <typename T>
void put(char* p, T v) { std::memcpy(p, &v, sizeof v); }
template <typename T>
T get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path, int err) {
  throw SoiError(ErrorCategory::storage, what + " " + path.string() + ": " + std::strerror(err));
}

// write() until done; false with errno set on failure.
bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

std::string checkpoint_text(const WalPosition& p) {
  return "soi-wal-checkpoint 1 " + std::to_string(p.segment) + " " + std::to_string(p.offset) + "\n";
}

}  // namespace

namespace {

std::uint32_t crc32c_table(const char* p, std::size_t n, std::uint32_t crc) noexcept {
  const auto& t = kCrc.t;
  while (n >= 8) {
    const std::uint64_t w = get<std::uint64_t>(p) ^ crc;
    crc = t[7][w & 0xff] ^ t[6][(w >> 8) & 0xff] ^ t[5][(w >> 16) & 0xff] ^ t[4][(w >> 24) & 0xff] ^
          t[3][(w >> 32) & 0xff] ^ t[2][(w >> 40) & 0xff] ^ t[1][(w >> 48) & 0xff] ^ t[0][w >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = (crc >> 8) ^ t[0][(crc ^ static_cast<std::uint8_t>(*p++)) & 0xff];
  return crc;
}

#if defined(__x86_64__)
// SSE4.2's crc32 instruction computes exactly CRC-32C; the table version costs
// a quarter of a stream reader's CPU (every frame is logged, spilled ones twice).
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(const char* p, std::size_t n,
                                                               std::uint32_t crc) noexcept {
  std::uint64_t c = crc;
  while (n >= 8) {
    c = __builtin_ia32_crc32di(c, get<std::uint64_t>(p));
    p += 8;
    n -= 8;
  }
  auto c32 = static_cast<std::uint32_t>(c);
  while (n-- > 0) c32 = __builtin_ia32_crc32qi(c32, static_cast<unsigned char>(*p++));
  return c32;
}
const bool kHasSse42 = __builtin_cpu_supports("sse4.2");
#endif

}  // namespace

std::uint32_t crc32c(std::string_view data, std::uint32_t crc) noexcept {
  crc = ~crc;
#if defined(__x86_64__)
  if (kHasSse42) return ~crc32c_sse42(data.data(), data.size(), crc);
#endif
  return ~crc32c_table(data.data(), data.size(), crc);
}

// The portable path, for tests: both must agree bit for bit.
std::uint32_t crc32c_portable(std::string_view data, std::uint32_t crc) noexcept {
  return ~crc32c_table(data.data(), data.size(), ~crc);
}

// ---- RecordBatch ----

void RecordBatch::add(std::uint8_t feed, std::string_view symbol, const Bar& bar, std::int64_t receive_ms) {
  if (symbol.size() > kMaxSymbolBytes) throw std::invalid_argument("symbol too long for the WAL: " + std::string(symbol));
  if (entries_.empty() || receive_ms < oldest_receive_ms_) oldest_receive_ms_ = receive_ms;
  entries_.push_back(Entry{bar, receive_ms, static_cast<std::uint32_t>(symbols_.size()),
                           static_cast<std::uint8_t>(symbol.size()), feed});
  symbols_.append(symbol);
}

WalRecord RecordBatch::operator[](std::size_t i) const {
  const Entry& e = entries_[i];
  return WalRecord{e.feed, std::string_view(symbols_).substr(e.symbol_offset, e.symbol_size), e.bar, e.receive_ms};
}

void RecordBatch::clear() noexcept {
  entries_.clear();
  symbols_.clear();
  oldest_receive_ms_ = 0;
}

// ---- codec ----

void encode_wal_frames(const RecordBatch& batch, std::string& out) {
  std::size_t total = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) total += kFrameHeader + kFixedPayload + batch[i].symbol.size();
  const std::size_t start = out.size();
  out.resize(start + total);  // one (amortised) growth per batch, none per record
  char* f = out.data() + start;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const WalRecord r = batch[i];
    const auto len = static_cast<std::uint32_t>(kFixedPayload + r.symbol.size());
    char* p = f + kFrameHeader;
    p[0] = static_cast<char>(kVersion);
    p[1] = static_cast<char>(r.feed);
    p[2] = static_cast<char>(r.bar.fields);
    p[3] = static_cast<char>(r.symbol.size());
    put(p + 4, r.bar.ts_ms);
    put(p + 12, r.bar.open);
    put(p + 20, r.bar.high);
    put(p + 28, r.bar.low);
    put(p + 36, r.bar.close);
    put(p + 44, r.bar.volume);
    put(p + 52, r.bar.vwap);
    put(p + 60, r.bar.transactions);
    put(p + 68, r.receive_ms);
    std::memcpy(p + kFixedPayload, r.symbol.data(), r.symbol.size());
    put(f + 4, len);
    // The CRC covers the length too: a corrupt length must not pass as a valid frame.
    put(f, crc32c(std::string_view(f + 4, 4 + len)));
    f += kFrameHeader + len;
  }
}

WalFrameStatus decode_wal_frame(std::string_view data, WalRecord& r, std::size_t& frame_bytes) noexcept {
  if (data.size() < kFrameHeader) return WalFrameStatus::incomplete;
  const auto len = get<std::uint32_t>(data.data() + 4);
  // Checked before waiting for more bytes: a garbage length (e.g. the zeros a
  // filesystem may leave after an OS crash) is corruption, not an incomplete frame.
  if (len < kFixedPayload || len > kMaxPayload) return WalFrameStatus::corrupt;
  if (data.size() < kFrameHeader + len) return WalFrameStatus::incomplete;
  if (crc32c(data.substr(4, 4 + len)) != get<std::uint32_t>(data.data())) return WalFrameStatus::corrupt;
  const char* p = data.data() + kFrameHeader;
  const auto symbol_size = static_cast<std::uint8_t>(p[3]);
  if (static_cast<std::uint8_t>(p[0]) != kVersion || len != kFixedPayload + symbol_size) return WalFrameStatus::corrupt;
  r.feed = static_cast<std::uint8_t>(p[1]);
  r.bar.fields = static_cast<std::uint8_t>(p[2]);
  r.bar.ts_ms = get<std::int64_t>(p + 4);
  r.bar.open = get<double>(p + 12);
  r.bar.high = get<double>(p + 20);
  r.bar.low = get<double>(p + 28);
  r.bar.close = get<double>(p + 36);
  r.bar.volume = get<double>(p + 44);
  r.bar.vwap = get<double>(p + 52);
  r.bar.transactions = get<std::int64_t>(p + 60);
  r.receive_ms = get<std::int64_t>(p + 68);
  r.symbol = std::string_view(p + kFixedPayload, symbol_size);
  frame_bytes = kFrameHeader + len;
  return WalFrameStatus::ok;
}

// ---- WriteAheadLog ----

WriteAheadLog::WriteAheadLog(WalOptions options) : options_(std::move(options)) {
  const auto& dir = options_.dir;
  create_directories_or_throw(dir);
  // One writer per log: a second process appending to the same segments would
  // interleave frames. flock() is released by the kernel when the owner dies.
  const auto lock_path = dir / "LOCK";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) fail("cannot open", lock_path, errno);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(lock_fd_);
    if (err == EWOULDBLOCK) throw SoiError(ErrorCategory::storage, "write-ahead log " + dir.string() + " is in use by another process");
    fail("cannot lock", lock_path, err);
  }

  const auto ckpt_path = dir / "checkpoint";
  std::error_code ec;
  if (std::filesystem::exists(ckpt_path, ec)) {
    std::ifstream in(ckpt_path);
    std::string tag, version;
    WalPosition p;
    // A checkpoint we cannot read is an error, not a reason to guess: replaying
    // from the start would write records twice, skipping ahead would lose them.
    if (!(in >> tag >> version >> p.segment >> p.offset) || tag != "soi-wal-checkpoint" || version != "1" ||
        p.offset < kSegmentHeaderBytes || p.segment > kMaxSegmentSeq) {
      ::close(lock_fd_);
      throw SoiError(ErrorCategory::storage, "malformed write-ahead log checkpoint " + ckpt_path.string());
    }
    checkpoint_ = p;
  } else {
    checkpoint_ = WalPosition{0, kSegmentHeaderBytes};
  }

  // Never append to an existing segment: it may end in a torn frame. The new
  // segment also comes after the checkpoint's, so positions only move forward.
  const auto existing = segments();
  active_seq_ = std::max(existing.empty() ? 1 : existing.back() + 1, checkpoint_.segment + 1);
  active_size_ = kSegmentHeaderBytes;
  // A segment past the 16 digits of a file name would be invisible to segments(), and
  // its records to every replay.
  if (active_seq_ > kMaxSegmentSeq) {
    ::close(lock_fd_);
    throw SoiError(ErrorCategory::storage, "write-ahead log " + dir.string() + ": segment numbers exhausted (" +
                                               segment_path(kMaxSegmentSeq).filename().string() + " or its checkpoint)");
  }
}

WriteAheadLog::~WriteAheadLog() {
  close_active();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::filesystem::path WriteAheadLog::segment_path(std::uint64_t seq) const {
  char name[40];
  std::snprintf(name, sizeof name, "segment-%016llu.wal", static_cast<unsigned long long>(seq));
  return options_.dir / name;
}

std::vector<std::uint64_t> WriteAheadLog::segments() const {
  std::vector<std::uint64_t> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(options_.dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() != 28 || !name.starts_with("segment-") || !name.ends_with(".wal")) continue;
    std::uint64_t seq = 0;
    const auto [ptr, err] = std::from_chars(name.data() + 8, name.data() + 24, seq);
    if (err == std::errc() && ptr == name.data() + 24) out.push_back(seq);
  }
  if (ec) throw SoiError(ErrorCategory::storage, "cannot list " + options_.dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

void WriteAheadLog::close_active() noexcept {
  if (active_fd_ >= 0) ::close(active_fd_);
  active_fd_ = -1;
}

void WriteAheadLog::open_new_segment() {
  if (active_fd_ >= 0) {
    // The segment is sealed: make it durable once here so only the newest
    // segment can ever hold unsynced records.
    if (!active_broken_ && ::fdatasync(active_fd_) != 0) fail("cannot fdatasync", segment_path(active_seq_), errno);
    close_active();
    ++active_seq_;
  }
  active_broken_ = false;
  const auto path = segment_path(active_seq_);
  active_fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  if (active_fd_ < 0) fail("cannot create", path, errno);
  if (!write_all(active_fd_, kMagic, sizeof kMagic)) {
    const int err = errno;
    close_active();
    fail("cannot write", path, err);
  }
  active_size_ = kSegmentHeaderBytes;
  fsync_directory(options_.dir);  // the new file's name must survive an OS crash too
}

WalPosition WriteAheadLog::append(const RecordBatch& batch) {
  if (batch.empty()) return end();
  buffer_.clear();
  encode_wal_frames(batch, buffer_);
  if (active_fd_ < 0 || active_broken_ ||
      (active_size_ > kSegmentHeaderBytes && active_size_ + buffer_.size() > options_.segment_bytes)) {
    open_new_segment();
  }
  if (!write_all(active_fd_, buffer_.data(), buffer_.size())) {
    const int err = errno;
    // Remove any partial frame so later appends are not hidden behind it; if
    // even that fails, the next append starts a new segment.
    if (::ftruncate(active_fd_, static_cast<off_t>(active_size_)) != 0) active_broken_ = true;
    fail("cannot append to", segment_path(active_seq_), err);
  }
  active_size_ += buffer_.size();
  stats_.appended_records += batch.size();
  stats_.appended_bytes += buffer_.size();
  return end();
}

int WriteAheadLog::dup_active_descriptor() const noexcept {
  return active_fd_ >= 0 ? ::fcntl(active_fd_, F_DUPFD_CLOEXEC, 0) : -1;
}

void WriteAheadLog::sync() {
  if (active_fd_ < 0) return;
  if (::fdatasync(active_fd_) != 0) fail("cannot fdatasync", segment_path(active_seq_), errno);
  ++stats_.syncs;
}

std::uint64_t WriteAheadLog::replay(const std::function<void(const WalRecord&, const WalPosition&)>& fn) {
  std::uint64_t count = 0;
  std::vector<char> buf(1 << 20);  // any frame (<= 8 + kMaxPayload bytes) fits many times over
  for (const std::uint64_t seq : segments()) {
    if (seq < checkpoint_.segment) continue;  // committed (deletion may have been cut short)
    const auto path = segment_path(seq);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("cannot open", path, errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      fail("cannot stat", path, err);
    }
    const auto file_size = static_cast<std::uint64_t>(st.st_size);
    char magic[sizeof kMagic] = {};
    if (::pread(fd, magic, sizeof magic, 0) != static_cast<ssize_t>(sizeof magic) ||
        std::memcmp(magic, kMagic, sizeof magic) != 0) {
      // Created but cut before its header was written: nothing in it was ever appended.
      stats_.skipped_bytes += file_size;
      ::close(fd);
      continue;
    }
    std::uint64_t offset = seq == checkpoint_.segment ? checkpoint_.offset : kSegmentHeaderBytes;
    std::size_t have = 0;  // bytes of buf holding file data from `offset`
    bool stop = false;
    while (!stop) {
      const ssize_t n = ::pread(fd, buf.data() + have, buf.size() - have, static_cast<off_t>(offset + have));
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd);
        fail("cannot read", path, err);
      }
      have += static_cast<std::size_t>(n);
      std::size_t used = 0;
      WalRecord record;
      std::size_t frame = 0;
      for (;;) {
        const auto status = decode_wal_frame(std::string_view(buf.data() + used, have - used), record, frame);
        if (status == WalFrameStatus::ok) {
          used += frame;
          fn(record, WalPosition{seq, offset + used});
          ++count;
          continue;
        }
        // Incomplete at end of file, or corrupt: the valid part of this segment ends here.
        if (status == WalFrameStatus::corrupt || n == 0) stop = true;
        break;
      }
      offset += used;
      have -= used;
      std::memmove(buf.data(), buf.data() + used, have);
    }
    stats_.skipped_bytes += file_size > offset ? file_size - offset : 0;
    ::close(fd);
  }
  stats_.replayed_records += count;
  return count;
}

void WriteAheadLog::checkpoint(const WalPosition& position) {
  if (auto pending = prepare_checkpoint(position)) write_checkpoint(*pending);
}

std::optional<WriteAheadLog::PendingCheckpoint> WriteAheadLog::prepare_checkpoint(const WalPosition& position) {
  if (position <= checkpoint_) return std::nullopt;
  if (end() < position) throw std::invalid_argument("WAL checkpoint past the end of the log");
  PendingCheckpoint pending{options_.dir / "checkpoint", checkpoint_text(position), {}};
  for (const std::uint64_t seq : segments()) {
    if (seq >= position.segment) break;
    pending.obsolete.push_back(segment_path(seq));
  }
  checkpoint_ = position;
  stats_.deleted_segments += pending.obsolete.size();
  return pending;
}

void WriteAheadLog::write_checkpoint(const PendingCheckpoint& pending) {
  write_file_atomically(pending.file.string(), pending.text);
  // Only after the checkpoint is durable: a crash in between leaves segments
  // that replay skips (they are before the checkpoint) and the next checkpoint deletes.
  for (const auto& path : pending.obsolete) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (ec) throw SoiError(ErrorCategory::storage, "cannot delete " + path.string() + ": " + ec.message());
  }
}

}  // namespace soi
