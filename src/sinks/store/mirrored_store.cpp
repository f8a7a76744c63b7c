#include "sinks/store/mirrored_store.hpp"

#include "utils/time_util.hpp"

namespace soi {

MirroredStore::MirroredStore(std::shared_ptr<PartitionStore> local, std::shared_ptr<PartitionStore> mirror,
                             std::shared_ptr<UploadOutbox> outbox, FailureReporter report,
                             std::chrono::milliseconds retry_after_failure)
    : local_(std::move(local)),
      mirror_(std::move(mirror)),
      outbox_(std::move(outbox)),
      report_(std::move(report)),
      retry_after_failure_(retry_after_failure) {}

namespace {

// Failures of the bucket itself (every key fails alike) as opposed to one key's.
bool bucket_wide(ErrorCategory c) {
  return c == ErrorCategory::network || c == ErrorCategory::server || c == ErrorCategory::rate_limit ||
         c == ErrorCategory::auth || c == ErrorCategory::config;
}

}  // namespace

StoredObject MirroredStore::put(StagedFile staged) {
  const std::string key = staged.key();
  StoredObject stored;
  try {
    stored = local_->put(std::move(staged));
  } catch (const SoiError& e) {
    // A put that failed after its rename left the new object as the record:
    // the bucket owes it (a drain uploads whatever the key holds then).
    queue(key, e);
    throw;
  }
  if (upload(key, stored.sha256)) drain(key);
  return stored;
}

StoredObject MirroredStore::copy_in(std::string_view key, const std::filesystem::path& file,
                                    std::string_view known_sha256) {
  StoredObject stored = local_->copy_in(key, file, known_sha256);
  if (upload(key, stored.sha256)) drain(key);
  return stored;
}

std::size_t MirroredStore::remove_stale_staging(std::string_view prefix) {
  std::size_t removed = local_->remove_stale_staging(prefix);
  // The bucket's leftovers (uploads a crash left unfinished) can wait for a run
  // that reaches it: a bucket that is down must not stop the local record.
  try {
    removed += mirror_->remove_stale_staging(prefix);
  } catch (const SoiError& e) {
    if (e.category() == ErrorCategory::auth || e.category() == ErrorCategory::config) throw;
    report(e, "");
  }
  return removed;
}

void MirroredStore::report(const SoiError& error, std::string_view key) const {
  if (report_) report_(error, key);
}

void MirroredStore::queue(std::string_view key, const SoiError& error) {
  try {
    outbox_->add(key, error.what(), now_utc_ms());
  } catch (const SoiError& outbox_error) {
    report(outbox_error, key);
  }
}

bool MirroredStore::upload(std::string_view key, std::string_view sha256) {
  const std::int64_t failed_at = bucket_failed_at_ms_.load();
  if (failed_at != 0 && now_utc_ms() - failed_at < retry_after_failure_.count()) {
    queue(key, SoiError(ErrorCategory::network, "not tried: the bucket failed less than " +
                                                    std::to_string(retry_after_failure_.count() / 1000) + " s ago"));
    return false;
  }
  try {
    const std::optional<LocalObject> object = local_->get(key);
    if (!object) return true;  // removed meanwhile: nothing to copy
    mirror_->copy_in(key, object->path(), sha256);
    bucket_failed_at_ms_ = 0;
    return true;
  } catch (const SoiError& e) {
    // The record is safe locally; the bucket is owed this key.
    if (bucket_wide(e.category())) bucket_failed_at_ms_ = now_utc_ms();
    queue(key, e);
    report(e, key);
    return false;
  }
}

MirrorDrain MirroredStore::drain(std::string_view uploaded_key) {
  MirrorDrain result;
  try {
    std::vector<std::string> done;
    const std::vector<OutboxEntry> owed = outbox_->entries();
    for (std::size_t i = 0; i < owed.size(); ++i) {
      const OutboxEntry& entry = owed[i];
      if (entry.key == uploaded_key) {
        done.push_back(entry.key);
        continue;
      }
      try {
        const std::optional<LocalObject> object = local_->get(entry.key);
        if (!object) {
          ++result.dropped;
        } else {
          mirror_->copy_in(entry.key, object->path());
          ++result.uploaded;
        }
        done.push_back(entry.key);
      } catch (const SoiError& e) {
        report(e, entry.key);
        if (bucket_wide(e.category())) {
          // Still failing: the rest waits for the next drain, in the same order.
          bucket_failed_at_ms_ = now_utc_ms();
          result.owed = owed.size() - i;
          break;
        }
        ++result.owed;  // this entry alone: it stays owed, the others go on
      }
    }
    outbox_->remove(done);
  } catch (const SoiError& e) {
    report(e, "");  // the outbox itself: the uploads are done, it lists them again next time
  }
  return result;
}

}  // namespace soi
