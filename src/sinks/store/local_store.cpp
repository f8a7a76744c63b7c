#include "sinks/store/local_store.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "utils/durable_file.hpp"
#include "utils/error.hpp"
#include "utils/file_digest.hpp"

namespace soi {
namespace fs = std::filesystem;

namespace {

bool hidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name.front() == '.';
}

// A staging file of any object: ".<name>.tmp-<pid>-<n>".
bool is_staging_name(std::string_view name) {
  return name.size() > 1 && name.front() == '.' && name.find(".tmp-", 1) != std::string_view::npos;
}

[[noreturn]] void fail(const std::string& what) { throw SoiError(ErrorCategory::storage, what); }

// The directory list() and remove_stale_staging() walk for `prefix`: the part
// up to its last '/', which must be whole segments.
fs::path walk_root(const fs::path& root, std::string_view prefix, std::string& base) {
  const std::size_t slash = prefix.rfind('/');
  base = slash == std::string_view::npos ? std::string() : std::string(prefix.substr(0, slash + 1));
  return base.empty() ? root : root / base.substr(0, base.size() - 1);
}

// Calls visit(path, key) for every regular file under root/<prefix's
// directories> whose key starts with `prefix`; hidden directories are skipped.
template <typename Visit>
void walk(const fs::path& root, std::string_view prefix, bool include_hidden_files, Visit visit) {
  std::string base;
  const fs::path dir = walk_root(root, prefix, base);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    const bool is_dir = it->is_directory(type_ec);
    if (hidden(it->path())) {
      if (is_dir) {
        it.disable_recursion_pending();
        continue;
      }
      if (!include_hidden_files) continue;
    }
    if (is_dir || !it->is_regular_file(type_ec)) continue;
    std::string key = base + it->path().lexically_relative(dir).generic_string();
    if (std::string_view(key).starts_with(prefix)) visit(it->path(), std::move(key));
  }
  if (ec) fail("cannot list " + dir.string() + ": " + ec.message());
}

}  // namespace

LocalStore::LocalStore(fs::path root) : root_(std::move(root)) {}

std::string LocalStore::staging_prefix(std::string_view file_name) {
  return "." + std::string(file_name) + ".tmp-";
}

fs::path LocalStore::path_of(std::string_view key) const {
  validate_object_key(key);
  return root_ / std::string(key);
}

std::string LocalStore::location(std::string_view key) const { return path_of(key).string(); }

StagedFile LocalStore::stage(std::string_view key) {
  const fs::path target = path_of(key);
  const fs::path dir = target.parent_path();
  const std::string prefix = staging_prefix(target.filename().string());
  try {
    // A brand-new feed or day directory must survive a power loss with the
    // object put() syncs into it.
    create_directories_durably(dir);
    // An earlier write of this key was interrupted: its staging file is stale.
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.path().filename().string().starts_with(prefix)) fs::remove(entry.path());
  } catch (const fs::filesystem_error& e) {
    fail("cannot prepare " + target.string() + ": " + e.code().message());
  }
  const std::uint64_t n = staging_counter_.fetch_add(1, std::memory_order_relaxed) + 1;
  return StagedFile(std::string(key), dir / (prefix + std::to_string(::getpid()) + "-" + std::to_string(n)));
}

StoredObject LocalStore::put(StagedFile staged) {
  const fs::path target = path_of(staged.key());
  const fs::path dir = target.parent_path();
  if (staged.path().empty()) fail("nothing staged for " + target.string());
  // A rename is atomic only within one directory (and one filesystem).
  if (staged.path().parent_path() != dir)
    fail("staged file " + staged.path().string() + " is not beside " + target.string());

  const FileDigest digest = digest_file(staged.path(), true);
  if (::rename(staged.path().c_str(), target.c_str()) != 0)
    fail("cannot rename " + staged.path().string() + " to " + target.string() + ": " + std::strerror(errno));
  staged.release();

  // The new object is in place and readers see it: from here a failure cannot
  // give the previous object back, so its message says the object was replaced.
  // The directory is synced even when removing the other files failed.
  std::string unfinished;
  try {
    const bool partition = staged.key().rfind(kPartitionPrefix, 0) == 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (!partition) break;
      const fs::path& p = entry.path();
      if (p.extension() == target.extension() && p.filename() != target.filename()) fs::remove(p);
    }
  } catch (const fs::filesystem_error& e) {
    unfinished = "the other files of its directory could not be removed (" + e.path1().string() + ": " +
                 e.code().message() + ")";
  }
  try {
    fsync_directory(dir);
  } catch (const SoiError& e) {
    if (!unfinished.empty()) unfinished += ", and ";
    unfinished += "its directory could not be synced, so the replacement may not survive a power loss (" +
                  e.message() + ")";
  }
  if (!unfinished.empty()) fail(target.string() + " was replaced by the new object, but " + unfinished);
  return StoredObject{digest.bytes, digest.sha256, target.string()};
}

StoredObject LocalStore::copy_in(std::string_view key, const std::filesystem::path& file,
                                 std::string_view known_sha256) {
  const fs::path target = path_of(key);
  std::error_code ec;
  if (fs::equivalent(file, target, ec)) {
    const FileDigest digest = digest_file(target, false);
    return StoredObject{digest.bytes, digest.sha256, target.string()};
  }
  return PartitionStore::copy_in(key, file, known_sha256);
}

std::optional<LocalObject> LocalStore::get(std::string_view key) {
  const fs::path target = path_of(key);
  std::error_code ec;
  const fs::file_status status = fs::status(target, ec);
  if (status.type() == fs::file_type::not_found) return std::nullopt;
  if (ec) fail("cannot read " + target.string() + ": " + ec.message());
  if (!fs::is_regular_file(status)) fail("cannot read " + target.string() + ": not a regular file");
  return LocalObject(target, false);
}

std::vector<std::string> LocalStore::list(std::string_view prefix) {
  validate_key_prefix(prefix);
  std::vector<std::string> keys;
  walk(root_, prefix, false, [&](const fs::path&, std::string key) { keys.push_back(std::move(key)); });
  std::sort(keys.begin(), keys.end());
  return keys;
}

bool LocalStore::remove(std::string_view key) {
  const fs::path target = path_of(key);
  std::error_code ec;
  const bool removed = fs::remove(target, ec);
  if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
    fail("cannot remove " + target.string() + ": " + ec.message());
  if (removed) fsync_directory(target.parent_path());
  return removed;
}

std::optional<std::string> LocalStore::sha256(std::string_view key) {
  const std::optional<LocalObject> object = get(key);
  if (!object) return std::nullopt;
  return sha256_file_hex(object->path());
}

std::size_t LocalStore::remove_stale_staging(std::string_view prefix) {
  validate_key_prefix(prefix);
  std::vector<fs::path> stale;
  walk(root_, prefix, true, [&](const fs::path& path, const std::string&) {
    if (is_staging_name(path.filename().string())) stale.push_back(path);
  });
  std::size_t removed = 0;
  for (const auto& p : stale) {
    std::error_code ec;
    if (fs::remove(p, ec)) ++removed;
    if (ec) fail("cannot remove stale staging file " + p.string() + ": " + ec.message());
  }
  return removed;
}

}  // namespace soi
