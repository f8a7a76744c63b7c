// Where committed partition files live: an object store of whole files under
// relative keys such as raw/<feed>/date=YYYY-MM-DD/data.parquet. ParquetSink
// writes through it and every reader of a committed day (stream recovery, the
// options universe, --keep-tracked-contracts, replay) reads through it, so the
// history of record can sit on a local disk (LocalStore) or, later, in a
// bucket, with no reader assuming a POSIX path.
//
// Guarantees every store gives:
//   - put() replaces the object whole: a reader sees the old object or the new
//     one, never a mix or a partial file. A put that fails before the new
//     object is visible leaves the old one; one that fails after (LocalStore:
//     the rename happened, the directory sync did not) says in its message
//     that the object was replaced. A store that survives a crash (LocalStore)
//     has the new object durable once put() returns.
//   - Objects are whole files: no append, no ranged write.
//   - Failures throw SoiError(storage) naming the key or its location.
//
// Shape, and why it differs from "put(key, path)": a writer asks stage(key) for
// a StagedFile (a local path to produce the object at, owned by a handle) and
// hands that handle to put(). The handle carries the key, so a file staged for
// one key cannot be put under another (LocalStore's put is a rename, valid only
// within the key's directory), and its destructor removes a staged file that
// never reached put() or that a failed put() left, so no writer repeats that
// cleanup. LocalStore stages next to the target (put is then a rename, no copy);
// a remote store would stage under <data_dir>/state/staging and upload.
//
// Threads: a store may be shared by threads. Calls on different keys may run
// concurrently; stage()..put() of one key must not overlap with another
// stage()..put() of the same key (ParquetSink keeps a key staged at most once
// until it is put, and one process writes a data directory at a time, see
// utils/process_lock).
// get/list/sha256/location may run from any thread while a put is in flight.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "utils/time_util.hpp"

namespace soi {

// A local file a writer produces an object into, on its way into put().
// Move-only; removes the file on destruction unless release()d.
class StagedFile {
 public:
  StagedFile(std::string key, std::filesystem::path path);
  ~StagedFile();
  StagedFile(StagedFile&& other) noexcept;
  StagedFile& operator=(StagedFile&& other) noexcept;
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;

  const std::string& key() const { return key_; }
  const std::filesystem::path& path() const { return path_; }
  // The file is no longer this handle's to remove (a store moved it into
  // place, or a test leaves it behind as a crash would).
  void release() { path_.clear(); }

 private:
  std::string key_;
  std::filesystem::path path_;  // empty once released
};

// A readable local copy of an object for as long as this handle lives.
// LocalStore hands out the stored file itself (temporary = false, nothing is
// copied); a remote store would download into a temporary file that the
// handle removes on destruction.
class LocalObject {
 public:
  LocalObject(std::filesystem::path path, bool temporary);
  ~LocalObject();
  LocalObject(LocalObject&& other) noexcept;
  LocalObject& operator=(LocalObject&& other) noexcept;
  LocalObject(const LocalObject&) = delete;
  LocalObject& operator=(const LocalObject&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  bool temporary_ = false;
};

// What put() stored.
struct StoredObject {
  std::uint64_t bytes = 0;
  std::string sha256;    // lower-case hex of the content
  std::string location;  // path or URL, for messages and the manifest
};

class PartitionStore {
 public:
  virtual ~PartitionStore() = default;

  // Where to produce the object that put() will store under `key`. Drops what
  // an interrupted write of this key left behind.
  virtual StagedFile stage(std::string_view key) = 0;
  // Replaces the object of staged.key() with the staged file, atomically, and
  // consumes the file. A throw before the new object became visible leaves the
  // previous object untouched (and drops the staged file with its handle). A
  // throw after it became visible, but before it was made durable, leaves the
  // new object in place, the previous one gone, and says so: "<location> was
  // replaced by the new object, but ...". Either way SoiError(storage).
  virtual StoredObject put(StagedFile staged) = 0;
  // Stores a copy of a local file under `key` (a run manifest, a mirror's
  // upload), leaving the file where it is; the same guarantees as put(). The
  // default stages, copies and puts; a store that can read the file directly
  // (an upload) or already holds it there (LocalStore) does without the copy.
  // `known_sha256` is the file's SHA-256 (lower-case hex) when the caller has
  // it already, so an upload need not read the file once more to hash it; ""
  // when not known. A wrong one fails the put (the server, or for a multipart
  // upload the client before it completes, checks the file against it): it
  // never stores a wrong object.
  virtual StoredObject copy_in(std::string_view key, const std::filesystem::path& file,
                               std::string_view known_sha256);
  StoredObject copy_in(std::string_view key, const std::filesystem::path& file) { return copy_in(key, file, {}); }
  // A readable local path of the object, nullopt when there is none.
  virtual std::optional<LocalObject> get(std::string_view key) = 0;
  // Keys of the stored objects starting with `prefix`, sorted; staging files
  // are never listed.
  virtual std::vector<std::string> list(std::string_view prefix) = 0;
  // Removes the object; false when there was none.
  virtual bool remove(std::string_view key) = 0;
  // The object's SHA-256 (lower-case hex), nullopt when there is none.
  virtual std::optional<std::string> sha256(std::string_view key) = 0;
  // The object's path or URL (whether or not it exists), for messages.
  virtual std::string location(std::string_view key) const = 0;
  // Removes staging files that interrupted writes left under `prefix`. Only
  // the one writer of the store calls it, at start-up, before any stage().
  // Returns how many it removed.
  virtual std::size_t remove_stale_staging(std::string_view prefix) = 0;
};

// Keys of committed partitions: raw/<feed>/date=YYYY-MM-DD/data.parquet.
inline constexpr std::string_view kPartitionPrefix = "raw/";
inline constexpr std::string_view kPartitionFileName = "data.parquet";

// raw/<feed>/date=YYYY-MM-DD/data.parquet. Throws SoiError(storage) for a
// feed that is not one plain path segment (empty, ".", "..", '/', '\\', NUL).
std::string partition_key(std::string_view feed, Date date);

// The days the store holds a partition of `feed` for, ascending.
std::vector<Date> stored_days(PartitionStore& store, std::string_view feed);

// Throws SoiError(storage) unless `key` is a relative object key of plain
// segments ("a/b/c": none empty, ".", "..", or holding '\\' or NUL). Stores
// call it on every key they are given, so no key escapes their root.
void validate_object_key(std::string_view key);
// The same for a list() prefix, which may be empty or end with '/' or in the
// middle of a segment ("raw/spy/date=2025-").
void validate_key_prefix(std::string_view prefix);

}  // namespace soi
