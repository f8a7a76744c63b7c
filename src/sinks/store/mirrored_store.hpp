// The object-store mirror: the local store stays the record and every object
// put into it (a committed partition, a run manifest) is also copied into a
// second store, the bucket. The local commit never fails because of the
// bucket: an upload that fails is recorded in the UploadOutbox and reported,
// and the outbox is drained (each key's CURRENT local object uploaded) after
// the next successful upload and at start-up.
//
// The upload runs in put(), so a commit waits for it while the bucket
// answers; once the bucket has failed, puts only queue their keys for
// retry_after_failure (kRetryAfterFailure by default: no commit waits on a
// bucket that is down more than once per interval), then the next put tries
// the bucket again.
//
// Reads (get, list, sha256, location) are the local store's: the record.
// remove() removes the local object only; the bucket keeps its copy (a mirror
// never deletes history; `soi sync` compares the two).
//
// What survives a crash: the local object as LocalStore guarantees; an upload
// that had not finished is either in the outbox (it failed) or not yet tried
// (the crash came first): `soi sync` finds the latter by sha256.
//
// Threads: as PartitionStore; uploads of different keys may run concurrently.
// The failure reporter is called on the thread whose put() failed to upload.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "sinks/store/partition_store.hpp"
#include "sinks/store/upload_outbox.hpp"
#include "utils/error.hpp"

namespace soi {

struct MirrorDrain {
  std::size_t uploaded = 0;  // owed objects now in the bucket
  std::size_t dropped = 0;   // owed keys whose local object no longer exists
  std::size_t owed = 0;      // still in the outbox (the bucket is still failing)
};

class MirroredStore : public PartitionStore {
 public:
  static constexpr std::chrono::seconds kRetryAfterFailure{60};

  using FailureReporter = std::function<void(const SoiError& error, std::string_view key)>;

  MirroredStore(std::shared_ptr<PartitionStore> local, std::shared_ptr<PartitionStore> mirror,
                std::shared_ptr<UploadOutbox> outbox, FailureReporter report = {},
                std::chrono::milliseconds retry_after_failure = kRetryAfterFailure);

  StagedFile stage(std::string_view key) override { return local_->stage(key); }
  // The local put (its failure is the put's failure), then the upload.
  StoredObject put(StagedFile staged) override;
  using PartitionStore::copy_in;
  StoredObject copy_in(std::string_view key, const std::filesystem::path& file, std::string_view known_sha256) override;
  std::optional<LocalObject> get(std::string_view key) override { return local_->get(key); }
  std::vector<std::string> list(std::string_view prefix) override { return local_->list(prefix); }
  bool remove(std::string_view key) override { return local_->remove(key); }
  std::optional<std::string> sha256(std::string_view key) override { return local_->sha256(key); }
  std::string location(std::string_view key) const override { return local_->location(key); }
  std::size_t remove_stale_staging(std::string_view prefix) override;

  // Uploads what the outbox owes, oldest first, until the bucket fails again
  // (an entry that fails on its own, e.g. a local file that cannot be read,
  // stays owed without stopping the others). `uploaded_key`: just uploaded,
  // only to be forgotten. Never throws: failures are reported.
  MirrorDrain drain(std::string_view uploaded_key = {});

  PartitionStore& local() noexcept { return *local_; }
  PartitionStore& mirror() noexcept { return *mirror_; }
  UploadOutbox& outbox() noexcept { return *outbox_; }

 private:
  // Uploads the local object of `key` (whose SHA-256 the local put computed:
  // the upload does not hash it again); on failure queues it and reports.
  // True when uploaded.
  bool upload(std::string_view key, std::string_view sha256);
  void queue(std::string_view key, const SoiError& error);
  void report(const SoiError& error, std::string_view key) const;

  std::shared_ptr<PartitionStore> local_;
  std::shared_ptr<PartitionStore> mirror_;
  std::shared_ptr<UploadOutbox> outbox_;
  FailureReporter report_;
  std::chrono::milliseconds retry_after_failure_;
  std::atomic<std::int64_t> bucket_failed_at_ms_{0};  // 0: the last attempt reached the bucket
};

}  // namespace soi
