#include "processing/quarantine.hpp"

#include <cerrno>
#include <cstring>

#include "utils/durable_file.hpp"
#include "utils/error.hpp"
#include "utils/json_text.hpp"
#include "utils/redact.hpp"
#include "utils/utf8.hpp"

namespace soi {
namespace {

// Sources become directory names: keep them to a safe alphabet.
std::string safe_component(std::string_view s) {
  std::string out;
  for (char c : s) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    out += ok ? c : '_';
  }
  if (out.empty() || out == "." || out == "..") out = "_";
  return out;
}

// Redacted (before escaping, so a secret is matched in its raw form), valid UTF-8, quoted.
std::string clean(std::string_view text) { return json_quote(valid_utf8(redact(text))); }

}  // namespace

QuarantineWriter::QuarantineWriter(std::string data_dir, std::size_t max_open_files)
    : data_dir_(std::move(data_dir)), max_open_files_(max_open_files == 0 ? 1 : max_open_files) {}

QuarantineWriter::~QuarantineWriter() {
  std::lock_guard lock(mutex_);
  for (auto& [path, f] : files_) {
    std::fclose(f.file);
  }
}

std::filesystem::path QuarantineWriter::partition_file(std::string_view source, Date date) const {
  return data_dir_ / "quarantine" / safe_component(source) / ("date=" + format_date(date)) / "records.jsonl";
}

std::string_view QuarantineWriter::reason_key(std::string_view reason) {
  const auto colon = reason.find(':');
  if (colon != std::string_view::npos) reason = reason.substr(0, colon);
  return utf8_prefix(reason, 80);
}

void QuarantineWriter::close_file(OpenFile& f) {
  if (!f.file) return;
  const bool failed = std::fflush(f.file) != 0;
  const int err = errno;
  std::fclose(f.file);
  f.file = nullptr;
  if (failed)
    throw SoiError(ErrorCategory::storage, std::string("cannot write quarantine file: ") + std::strerror(err));
}

std::FILE* QuarantineWriter::file_for(std::string_view source, Date date) {
  const std::filesystem::path path = partition_file(source, date);
  const std::string key = path.string();
  auto it = files_.find(key);
  if (it == files_.end()) {
    if (files_.size() >= max_open_files_) {
      // Bounded handles: close the least recently used partition.
      auto lru = files_.begin();
      for (auto i = files_.begin(); i != files_.end(); ++i)
        if (i->second.last_use < lru->second.last_use) lru = i;
      OpenFile victim = lru->second;
      files_.erase(lru);
      close_file(victim);
    }
    create_directories_or_throw(path.parent_path());
    std::FILE* file = std::fopen(key.c_str(), "ae");
    if (!file)
      throw SoiError(ErrorCategory::storage, "cannot open quarantine file " + key + ": " + std::strerror(errno));
    it = files_.emplace(key, OpenFile{file, 0}).first;
  }
  it->second.last_use = ++use_clock_;
  return it->second.file;
}

void QuarantineWriter::add(std::string_view source, Date date, std::string_view ticker, std::string_view reason,
                           std::string_view raw_json, std::string_view url) {
  // Build the line outside the lock: redaction is the expensive part.
  std::string line = "{\"quarantined_at\":" + json_quote(format_utc_iso_ms(now_utc_ms()));
  line += ",\"source\":" + clean(source);
  line += ",\"date\":" + json_quote(format_date(date));
  line += ",\"ticker\":" + clean(ticker);
  line += ",\"reason\":" + clean(reason);
  line += ",\"url\":" + clean(url);
  line += ",\"raw\":" + clean(raw_json);
  line += "}\n";
  const std::string key = valid_utf8(redact(reason_key(reason)));

  std::lock_guard lock(mutex_);
  std::FILE* file = file_for(source, date);
  if (std::fwrite(line.data(), 1, line.size(), file) != line.size())
    throw SoiError(ErrorCategory::storage, "cannot write quarantine file " + partition_file(source, date).string() +
                                               ": " + std::strerror(errno));
  ++total_;
  ++counts_[{std::string(source), key}];
}

void QuarantineWriter::flush() {
  std::lock_guard lock(mutex_);
  for (auto& [path, f] : files_)
    if (std::fflush(f.file) != 0)
      throw SoiError(ErrorCategory::storage, "cannot write quarantine file " + path + ": " + std::strerror(errno));
}

void QuarantineWriter::close() {
  std::lock_guard lock(mutex_);
  auto files = std::move(files_);
  files_.clear();
  std::string first_error;
  for (auto& [path, f] : files) {
    try {
      close_file(f);
    } catch (const SoiError& e) {  // keep closing the others; report the first failure
      if (first_error.empty()) first_error = e.message() + " (" + path + ")";
    }
  }
  if (!first_error.empty()) throw SoiError(ErrorCategory::storage, first_error);
}

std::uint64_t QuarantineWriter::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

std::map<std::pair<std::string, std::string>, std::uint64_t> QuarantineWriter::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

}  // namespace soi
