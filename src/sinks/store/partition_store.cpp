#include "sinks/store/partition_store.hpp"

#include <algorithm>
#include <filesystem>

#include "utils/error.hpp"

namespace soi {

StoredObject PartitionStore::copy_in(std::string_view key, const std::filesystem::path& file, std::string_view) {
  StagedFile staged = stage(key);
  std::error_code ec;
  std::filesystem::copy_file(file, staged.path(), std::filesystem::copy_options::overwrite_existing, ec);
  if (ec)
    throw SoiError(ErrorCategory::storage, "cannot copy " + file.string() + " to " + location(key) + ": " + ec.message());
  return put(std::move(staged));
}
namespace fs = std::filesystem;

namespace {

bool plain_segment(std::string_view segment) {
  if (segment.empty() || segment == "." || segment == "..") return false;
  return segment.find('\\') == std::string_view::npos && segment.find('\0') == std::string_view::npos;
}

// Checks every '/'-separated segment; the last one may be empty when allowed.
bool plain_segments(std::string_view key, bool last_may_be_partial) {
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = key.find('/', start);
    const std::string_view segment = key.substr(start, slash == std::string_view::npos ? key.npos : slash - start);
    if (slash == std::string_view::npos) {
      if (last_may_be_partial)
        return segment != "." && segment != ".." && segment.find('\\') == std::string_view::npos &&
               segment.find('\0') == std::string_view::npos;
      return plain_segment(segment);
    }
    if (!plain_segment(segment)) return false;
    start = slash + 1;
  }
}

void remove_quietly(const fs::path& path) {
  if (path.empty()) return;
  std::error_code ignored;
  fs::remove(path, ignored);
}

}  // namespace

StagedFile::StagedFile(std::string key, fs::path path) : key_(std::move(key)), path_(std::move(path)) {}

StagedFile::~StagedFile() { remove_quietly(path_); }

StagedFile::StagedFile(StagedFile&& other) noexcept : key_(std::move(other.key_)), path_(std::move(other.path_)) {
  other.path_.clear();
}

StagedFile& StagedFile::operator=(StagedFile&& other) noexcept {
  if (this != &other) {
    remove_quietly(path_);
    key_ = std::move(other.key_);
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

LocalObject::LocalObject(fs::path path, bool temporary) : path_(std::move(path)), temporary_(temporary) {}

LocalObject::~LocalObject() {
  if (temporary_) remove_quietly(path_);
}

LocalObject::LocalObject(LocalObject&& other) noexcept
    : path_(std::move(other.path_)), temporary_(other.temporary_) {
  other.path_.clear();
  other.temporary_ = false;
}

LocalObject& LocalObject::operator=(LocalObject&& other) noexcept {
  if (this != &other) {
    if (temporary_) remove_quietly(path_);
    path_ = std::move(other.path_);
    temporary_ = other.temporary_;
    other.path_.clear();
    other.temporary_ = false;
  }
  return *this;
}

void validate_object_key(std::string_view key) {
  if (!plain_segments(key, false))
    throw SoiError(ErrorCategory::storage, "invalid object key '" + std::string(key) + "'");
}

void validate_key_prefix(std::string_view prefix) {
  if (!prefix.empty() && !plain_segments(prefix, true))
    throw SoiError(ErrorCategory::storage, "invalid object key prefix '" + std::string(prefix) + "'");
}

std::string partition_key(std::string_view feed, Date date) {
  if (!plain_segment(feed) || feed.find('/') != std::string_view::npos)
    throw SoiError(ErrorCategory::storage, "invalid feed name '" + std::string(feed) + "'");
  std::string key;
  key.reserve(kPartitionPrefix.size() + feed.size() + 32);
  key.append(kPartitionPrefix).append(feed).append("/date=").append(format_date(date)).append("/");
  key.append(kPartitionFileName);
  return key;
}

std::vector<Date> stored_days(PartitionStore& store, std::string_view feed) {
  const std::string prefix = std::string(kPartitionPrefix) + std::string(feed) + "/";
  std::vector<Date> days;
  for (const std::string& key : store.list(prefix)) {
    // <prefix>date=YYYY-MM-DD/data.parquet and nothing else (stray files are not days).
    const std::string_view rest = std::string_view(key).substr(prefix.size());
    constexpr std::string_view kDate = "date=";
    const std::size_t slash = rest.find('/');
    if (rest.substr(0, kDate.size()) != kDate || slash == std::string_view::npos ||
        rest.substr(slash + 1) != kPartitionFileName)
      continue;
    if (auto d = parse_date(rest.substr(kDate.size(), slash - kDate.size()))) days.push_back(*d);
  }
  std::sort(days.begin(), days.end());
  days.erase(std::unique(days.begin(), days.end()), days.end());
  return days;
}

}  // namespace soi
