// PartitionStore on a local (POSIX) filesystem: the object of key K is the
// file <root>/K, e.g. <data_dir>/raw/spy/date=2025-01-17/data.parquet.
//
// stage(): creates the object's directory when missing (raw/<feed>/date=...),
// fsync()ing the parent of each directory it creates, so that a new feed or
// day is still reachable after a power loss once put() has synced the object.
//
// put(): the file was staged next to its target as a hidden
// .<name>.tmp-<pid>-<n> (hidden from pyarrow/Spark, and not ending in the
// object's extension, so a *.parquet glob never picks up a half-written file);
// put() hashes and fsync()s it in one read, renames it over the target and
// fsync()s the directory. A crash at any point leaves the old object or the
// new one, plus at most a stray staging file, which the next stage() of that
// key or remove_stale_staging() at start-up drops.
//
// What a throwing put() leaves: before the rename (the staged file cannot be
// read or synced, the rename fails) the old object, untouched; after it (the
// other files of the directory cannot be removed, the directory fsync fails)
// the new object, in place but perhaps not durable, and the message says
// "<path> was replaced by the new object, but ...".
//
// A partition's directory (raw/<feed>/date=...) belongs to it: put() of a
// partition key removes the other files of that directory with the object's
// extension (older layouts, stray copies), so that a hive-style reader of the
// directory sees exactly this object. Other keys (manifests/<run>.json) share
// their directory and leave it alone.
//
// get() returns the file itself, no copy: a put() meanwhile renames a new
// inode over the name, so a reader that opened the old file keeps reading it.
//
// Threads: as PartitionStore states; the staging counter is atomic.
#pragma once

#include <atomic>
#include <filesystem>

#include "sinks/store/partition_store.hpp"

namespace soi {

class LocalStore : public PartitionStore {
 public:
  // No I/O: the root need not exist yet (stage() creates directories).
  explicit LocalStore(std::filesystem::path root);

  const std::filesystem::path& root() const { return root_; }

  StagedFile stage(std::string_view key) override;
  StoredObject put(StagedFile staged) override;
  // The file already at <root>/<key> is the object: hashed, not copied.
  using PartitionStore::copy_in;
  StoredObject copy_in(std::string_view key, const std::filesystem::path& file, std::string_view known_sha256) override;
  std::optional<LocalObject> get(std::string_view key) override;
  std::vector<std::string> list(std::string_view prefix) override;
  bool remove(std::string_view key) override;
  std::optional<std::string> sha256(std::string_view key) override;
  std::string location(std::string_view key) const override;
  std::size_t remove_stale_staging(std::string_view prefix) override;

  // ".<file name>.tmp-": how staging files of an object named `file_name` start.
  static std::string staging_prefix(std::string_view file_name);

 private:
  std::filesystem::path path_of(std::string_view key) const;

  std::filesystem::path root_;
  std::atomic<std::uint64_t> staging_counter_{0};
};

}  // namespace soi
