// Quarantine: records that cannot be stored (unparseable, invalid, late) are
// kept verbatim for later inspection instead of being dropped silently, as
// JSON lines in <data_dir>/quarantine/<source>/date=YYYY-MM-DD/records.jsonl.
// Every field passes through redact() first: no secret can reach the disk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "utils/time_util.hpp"

namespace soi {

class QuarantineWriter {
 public:
  static constexpr std::size_t kDefaultMaxOpenFiles = 32;

  explicit QuarantineWriter(std::string data_dir, std::size_t max_open_files = kDefaultMaxOpenFiles);
  ~QuarantineWriter();  // flushes and closes every file (errors are swallowed here)
  QuarantineWriter(const QuarantineWriter&) = delete;
  QuarantineWriter& operator=(const QuarantineWriter&) = delete;

  // Appends one line {quarantined_at, source, date, ticker, reason, url, raw};
  // raw is stored as a JSON string (it may be malformed JSON). Thread-safe.
  // Throws SoiError(storage) when the file cannot be opened or written.
  void add(std::string_view source, Date date, std::string_view ticker, std::string_view reason,
           std::string_view raw_json, std::string_view url);

  void flush();  // flushes every open file
  void close();  // flushes and closes every open file; add() may reopen

  std::uint64_t total() const;
  // Count per (source, reason key), for the run summary. See reason_key().
  std::map<std::pair<std::string, std::string>, std::uint64_t> counts() const;

  // <data_dir>/quarantine/<source>/date=YYYY-MM-DD/records.jsonl
  std::filesystem::path partition_file(std::string_view source, Date date) const;

  // Reasons are "code: detail" ("late_data: record from ..."); counts group by
  // the code so per-record details do not explode the summary. A reason with
  // no ':' is its own key (cut at 80 bytes).
  static std::string_view reason_key(std::string_view reason);

 private:
  struct OpenFile {
    std::FILE* file = nullptr;
    std::uint64_t last_use = 0;
  };
  std::FILE* file_for(std::string_view source, Date date);  // caller holds mutex_
  void close_file(OpenFile& f);

  std::filesystem::path data_dir_;
  std::size_t max_open_files_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, OpenFile> files_;  // key: partition file path
  std::uint64_t use_clock_ = 0;
  std::uint64_t total_ = 0;
  std::map<std::pair<std::string, std::string>, std::uint64_t> counts_;
};

}  // namespace soi
