#include "sinks/store/mirrored_store.hpp"

#include "utils/time_util.hpp"

namespace soi {

MirroredStore::MirroredStore(std::shared_ptr<PartitionStore> local, std::shared_ptr<PartitionStore> mirror,
                             std::shared_ptr<UploadOutbox> outbox, FailureReporter report)
    : local_(std::move(local)), mirror_(std::move(mirror)), outbox_(std::move(outbox)), report_(std::move(report)) {}

StoredObject MirroredStore::put(StagedFile staged) {
  const std::string key = staged.key();
  StoredObject stored = local_->put(std::move(staged));
  if (upload(key) && outbox_->size() > 0) drain();
  return stored;
}

StoredObject MirroredStore::copy_in(std::string_view key, const std::filesystem::path& file) {
  StoredObject stored = local_->copy_in(key, file);
  if (upload(key) && outbox_->size() > 0) drain();
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
    if (report_) report_(e, "");
  }
  return removed;
}

bool MirroredStore::upload(std::string_view key) {
  try {
    const std::optional<LocalObject> object = local_->get(key);
    if (!object) return true;  // removed meanwhile: nothing to copy
    mirror_->copy_in(key, object->path());
    return true;
  } catch (const SoiError& e) {
    // The record is safe locally; the bucket is owed this key.
    try {
      outbox_->add(key, e.what(), now_utc_ms());
    } catch (const SoiError& outbox_error) {
      if (report_) report_(outbox_error, key);
    }
    if (report_) report_(e, key);
    return false;
  }
}

MirrorDrain MirroredStore::drain() {
  MirrorDrain result;
  std::vector<std::string> done;
  const std::vector<OutboxEntry> owed = outbox_->entries();
  for (std::size_t i = 0; i < owed.size(); ++i) {
    const OutboxEntry& entry = owed[i];
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
      // Still failing: the rest waits for the next drain, in the same order.
      if (report_) report_(e, entry.key);
      result.owed = owed.size() - i;
      break;
    }
  }
  outbox_->remove(done);
  return result;
}

}  // namespace soi
