// The partitions a mirror still owes its bucket: a durable list, so that an
// upload that failed (the store down, a network error, a full quota) is
// retried at the next commit or the next run instead of being forgotten while
// the local commit, the record, still succeeds.
//
// Format: <data_dir>/state/upload_outbox.jsonl, one JSON object per line:
//   {"key":"raw/spy/date=2025-01-17/data.parquet","queued_at_ms":1737131400000,"error":"..."}
// A key appears once in effect: a later line for the same key keeps the first
// queued_at_ms (how long the bucket has been behind) and the latest error.
// The object to upload is always the CURRENT local one of that key, never a
// copy taken at queue time: a day rewritten meanwhile uploads its newest state.
//
// Crash safety: add() appends one line with one write() and fsyncs it
// (utils/durable_file); a torn last line is ignored on read. remove() rewrites
// the file atomically (temp + fsync + rename). A crash between an upload and
// its remove() leaves the entry, and the next drain uploads it again: an
// upload replaces the object whole, so repeating it is harmless.
//
// Threads: every method may be called from any thread (one mutex).
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace soi {

struct OutboxEntry {
  std::string key;
  std::int64_t queued_at_ms = 0;  // UTC ms of the first failed upload still owed
  std::string error;              // the latest failure, redacted
};

class UploadOutbox {
 public:
  explicit UploadOutbox(std::filesystem::path file);

  // <data_dir>/state/upload_outbox.jsonl
  static std::filesystem::path file_in(const std::filesystem::path& data_dir);

  // Throws SoiError(storage) when the line cannot be written.
  void add(std::string_view key, std::string_view error, std::int64_t now_ms);
  // Forgets `keys` (uploaded). Throws SoiError(storage).
  void remove(const std::vector<std::string>& keys);

  // One entry per key, oldest first. A missing file is an empty outbox.
  std::vector<OutboxEntry> entries() const;
  std::size_t size() const { return entries().size(); }
  std::optional<OutboxEntry> oldest() const;

  const std::filesystem::path& file() const noexcept { return file_; }

 private:
  std::vector<OutboxEntry> read_locked() const;

  std::filesystem::path file_;
  mutable std::mutex mutex_;
};

}  // namespace soi
