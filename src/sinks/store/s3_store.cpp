#include "sinks/store/s3_store.hpp"

#include <unistd.h>

#include "sinks/store/s3_encoding.hpp"
#include "utils/error.hpp"
#include "utils/file_digest.hpp"

namespace soi {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kStagingKind = "tmp";
constexpr std::string_view kDownloadKind = "get";

// A key as one file name: every byte but A-Z a-z 0-9 - _ ~ percent-encoded
// ('/' and '.' too, so the ".tmp-" that follows cannot be part of a key).
// Encoding is byte by byte and prefix-free, so a key starts with a prefix
// exactly when its encoding starts with the prefix's.
std::string file_name_of(std::string_view key) {
  std::string name;
  for (const char c : s3_encode_query_component(key)) {
    if (c == '.') name += "%2E";
    else name += c;
  }
  return name;
}

std::string normalized_prefix(std::string prefix) {
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  while (!prefix.empty() && prefix.front() == '/') prefix.erase(0, 1);
  return prefix.empty() ? prefix : prefix + "/";
}

}  // namespace

S3Store::S3Store(S3StoreOptions options, S3Credentials credentials)
    : options_(std::move(options)),
      key_prefix_(normalized_prefix(options_.prefix)),
      client_(options_.client, std::move(credentials)) {
  if (options_.staging_dir.empty()) throw SoiError(ErrorCategory::config, "S3 store: no staging directory given");
}

std::string S3Store::object_key(std::string_view key) const {
  validate_object_key(key);
  return key_prefix_ + std::string(key);
}

std::string S3Store::location(std::string_view key) const {
  return "s3://" + options_.client.bucket + "/" + object_key(key);
}

fs::path S3Store::local_file(std::string_view key, std::string_view kind) {
  std::error_code ec;
  fs::create_directories(options_.staging_dir, ec);
  if (ec) throw SoiError(ErrorCategory::storage, "cannot create " + options_.staging_dir.string() + ": " + ec.message());
  const std::uint64_t n = file_counter_.fetch_add(1, std::memory_order_relaxed) + 1;
  return options_.staging_dir / (file_name_of(key) + "." + std::string(kind) + "-" + std::to_string(::getpid()) + "-" +
                                 std::to_string(n));
}

StagedFile S3Store::stage(std::string_view key) {
  validate_object_key(key);
  // An earlier write of this key was interrupted: its staging file is stale.
  const std::string stale = file_name_of(key) + "." + std::string(kStagingKind) + "-";
  std::error_code ec;
  for (auto it = fs::directory_iterator(options_.staging_dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (it->path().filename().string().starts_with(stale)) {
      std::error_code ignored;
      fs::remove(it->path(), ignored);
    }
  }
  return StagedFile(std::string(key), local_file(key, kStagingKind));
}

StoredObject S3Store::put(StagedFile staged) {
  if (staged.path().empty()) throw SoiError(ErrorCategory::storage, "nothing staged for " + location(staged.key()));
  // The handle removes the staged file when it goes, uploaded or not.
  return put_copy(staged.key(), staged.path());
}

StoredObject S3Store::put_copy(std::string_view key, const fs::path& file, std::string_view known_sha256) {
  const S3ObjectInfo stored = client_.put_file(object_key(key), file, "application/octet-stream", known_sha256);
  return StoredObject{stored.bytes, stored.sha256.value_or(""), location(key)};
}

std::optional<LocalObject> S3Store::get(std::string_view key) {
  const std::string object = object_key(key);
  const fs::path download = local_file(key, kDownloadKind);
  if (!client_.get_file(object, download)) return std::nullopt;
  return LocalObject(download, true);
}

std::vector<std::string> S3Store::list(std::string_view prefix) {
  validate_key_prefix(prefix);
  std::vector<std::string> keys;
  for (S3ObjectInfo& object : client_.list(key_prefix_ + std::string(prefix)))
    keys.push_back(object.key.substr(key_prefix_.size()));
  return keys;  // sorted by the client; a common prefix keeps the order
}

bool S3Store::remove(std::string_view key) { return client_.remove(object_key(key)); }

std::optional<std::string> S3Store::sha256(std::string_view key) {
  const std::optional<S3ObjectInfo> info = client_.head(object_key(key));
  if (!info) return std::nullopt;
  if (info->sha256) return info->sha256;
  // Written by another tool, without our metadata: hash the content.
  const std::optional<LocalObject> object = get(key);
  if (!object) return std::nullopt;
  return sha256_file_hex(object->path());
}

std::size_t S3Store::remove_stale_staging(std::string_view prefix) {
  validate_key_prefix(prefix);
  std::size_t removed = 0;
  const std::string encoded_prefix = file_name_of(prefix);
  std::error_code ec;
  for (auto it = fs::directory_iterator(options_.staging_dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const bool ours = name.find("." + std::string(kStagingKind) + "-") != std::string::npos ||
                      name.find("." + std::string(kDownloadKind) + "-") != std::string::npos;
    if (!ours || !std::string_view(name).starts_with(encoded_prefix)) continue;
    std::error_code remove_ec;
    if (fs::remove(it->path(), remove_ec)) ++removed;
    if (remove_ec)
      throw SoiError(ErrorCategory::storage,
                     "cannot remove stale staging file " + it->path().string() + ": " + remove_ec.message());
  }
  if (ec && ec != std::errc::no_such_file_or_directory)
    throw SoiError(ErrorCategory::storage, "cannot list " + options_.staging_dir.string() + ": " + ec.message());
  for (const S3MultipartUploadInfo& upload : client_.list_multipart_uploads(key_prefix_ + std::string(prefix))) {
    client_.abort_multipart_upload(upload.key, upload.upload_id);
    ++removed;
  }
  return removed;
}

}  // namespace soi
