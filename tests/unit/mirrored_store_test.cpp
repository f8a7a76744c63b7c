// The mirror: the local store is the record and its puts never fail because of
// the bucket; a failed upload waits in the durable outbox (reported once per
// failure) and is drained, as the current local object, after the next upload
// that succeeds; reads are local.
#include "sinks/store/mirrored_store.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "sinks/store/local_store.hpp"
#include "utils/file_digest.hpp"

namespace soi {
namespace {

namespace fs = std::filesystem;

// A bucket that is down while `down` is set.
class SwitchableStore : public LocalStore {
 public:
  using LocalStore::LocalStore;
  StoredObject put(StagedFile staged) override {
    ++attempts;
    if (down) throw SoiError(ErrorCategory::network, "connection refused: http://127.0.0.1:1/bucket/" + staged.key());
    ++uploads;
    return LocalStore::put(std::move(staged));
  }
  using LocalStore::copy_in;
  StoredObject copy_in(std::string_view key, const fs::path& file, std::string_view known_sha256) override {
    known_hashes.emplace_back(known_sha256);
    return LocalStore::copy_in(key, file, known_sha256);
  }
  bool down = false;
  std::vector<std::string> known_hashes;  // what each upload was told the file's SHA-256 is
  int attempts = 0;
  int uploads = 0;
};

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class MirroredStoreTest : public ::testing::Test {
 protected:
  MirroredStoreTest() {
    static int counter = 0;
    dir_ = fs::temp_directory_path() / ("soi_mirror_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir_);
    local_ = std::make_shared<LocalStore>(dir_ / "data");
    bucket_ = std::make_shared<SwitchableStore>(dir_ / "bucket");
    outbox_ = std::make_shared<UploadOutbox>(UploadOutbox::file_in(dir_ / "data"));
    // Every put tries the bucket (no pause after a failure) unless a test says otherwise.
    store_ = make_store(std::chrono::milliseconds(0));
  }
  std::unique_ptr<MirroredStore> make_store(std::chrono::milliseconds retry_after_failure) {
    return std::make_unique<MirroredStore>(
        local_, bucket_, outbox_,
        [this](const SoiError& e, std::string_view key) { reported_.push_back(std::string(key) + ": " + e.what()); },
        retry_after_failure);
  }
  ~MirroredStoreTest() override { fs::remove_all(dir_); }

  StoredObject put(const std::string& key, const std::string& content) {
    StagedFile staged = store_->stage(key);
    std::ofstream(staged.path(), std::ios::binary) << content;
    return store_->put(std::move(staged));
  }
  std::string in_bucket(const std::string& key) const { return read_text(dir_ / "bucket" / key); }

  fs::path dir_;
  std::shared_ptr<LocalStore> local_;
  std::shared_ptr<SwitchableStore> bucket_;
  std::shared_ptr<UploadOutbox> outbox_;
  std::unique_ptr<MirroredStore> store_;
  std::vector<std::string> reported_;
};

const std::string kSpy = "raw/spy/date=2025-01-17/data.parquet";
const std::string kVix = "raw/vix/date=2025-01-17/data.parquet";

TEST_F(MirroredStoreTest, APutIsLocalAndInTheBucketByteForByte) {
  const StoredObject stored = put(kSpy, "day one");
  EXPECT_EQ(stored.location, (dir_ / "data" / kSpy).string());  // the record is local
  EXPECT_EQ(read_text(dir_ / "data" / kSpy), "day one");
  EXPECT_EQ(in_bucket(kSpy), "day one");
  EXPECT_EQ(store_->sha256(kSpy), sha256_file_hex(dir_ / "bucket" / kSpy));
  EXPECT_EQ(outbox_->size(), 0u);
  EXPECT_TRUE(reported_.empty());
  put(kSpy, "day one, rerun");  // a rerun replaces the object in both
  EXPECT_EQ(in_bucket(kSpy), "day one, rerun");
}

TEST_F(MirroredStoreTest, TheBucketDownDoesNotFailTheLocalCommitAndTheOutboxCatchesUp) {
  bucket_->down = true;
  ASSERT_NO_THROW(put(kSpy, "spy v1"));
  ASSERT_NO_THROW(put(kVix, "vix v1"));
  EXPECT_EQ(read_text(dir_ / "data" / kSpy), "spy v1");
  EXPECT_FALSE(fs::exists(dir_ / "bucket" / kSpy));
  ASSERT_EQ(reported_.size(), 2u);
  EXPECT_NE(reported_[0].find("connection refused"), std::string::npos);
  const auto owed = outbox_->entries();
  ASSERT_EQ(owed.size(), 2u);
  EXPECT_EQ(owed[0].key, kSpy);
  EXPECT_EQ(owed[1].key, kVix);
  EXPECT_NE(owed[0].error.find("connection refused"), std::string::npos);
  EXPECT_GT(owed[0].queued_at_ms, 0);

  // The day is rewritten while the bucket is still down: still one entry for it,
  // and it keeps the time it first fell behind.
  put(kSpy, "spy v2");
  ASSERT_EQ(outbox_->entries().size(), 2u);
  EXPECT_EQ(outbox_->oldest()->key, kSpy);
  EXPECT_EQ(outbox_->oldest()->queued_at_ms, owed[0].queued_at_ms);

  // The bucket is back: the next commit uploads its own object, then what is owed,
  // each as the current local object.
  bucket_->down = false;
  const std::string kNews = "raw/news/date=2025-01-17/data.parquet";
  put(kNews, "news");
  EXPECT_EQ(in_bucket(kNews), "news");
  EXPECT_EQ(in_bucket(kSpy), "spy v2");
  EXPECT_EQ(in_bucket(kVix), "vix v1");
  EXPECT_EQ(outbox_->size(), 0u);
}

TEST_F(MirroredStoreTest, TheOutboxSurvivesARestartAndDrainsAtTheNextRun) {
  bucket_->down = true;
  put(kSpy, "spy");
  store_.reset();  // the run ends with the bucket still down

  bucket_->down = false;
  auto outbox = std::make_shared<UploadOutbox>(UploadOutbox::file_in(dir_ / "data"));
  MirroredStore next_run(local_, bucket_, outbox);
  ASSERT_EQ(outbox->size(), 1u);
  const MirrorDrain drained = next_run.drain();
  EXPECT_EQ(drained.uploaded, 1u);
  EXPECT_EQ(drained.owed, 0u);
  EXPECT_EQ(in_bucket(kSpy), "spy");
  EXPECT_EQ(outbox->size(), 0u);
}

TEST_F(MirroredStoreTest, ADrainStopsAtTheFirstFailureAndDropsKeysWithNoLocalObject) {
  bucket_->down = true;
  put(kSpy, "spy");
  put(kVix, "vix");
  local_->remove(kSpy);  // gone locally: nothing left to upload
  const MirrorDrain down = store_->drain();  // still down
  EXPECT_EQ(down.dropped, 1u);  // needed no bucket
  EXPECT_EQ(down.owed, 1u);     // the first entry that needs the bucket fails and stops the drain
  EXPECT_EQ(outbox_->size(), 1u);
  bucket_->down = false;
  const MirrorDrain drained = store_->drain();
  EXPECT_EQ(drained.uploaded, 1u);
  EXPECT_EQ(drained.owed, 0u);
  EXPECT_EQ(in_bucket(kVix), "vix");
  EXPECT_EQ(outbox_->size(), 0u);
}

TEST_F(MirroredStoreTest, AManifestCopiedInStaysLocalAndReachesTheBucket) {
  fs::create_directories(dir_ / "data" / "manifests");
  std::ofstream(dir_ / "data" / "manifests" / "run-1.json") << R"({"run_id":"run-1"})";
  std::ofstream(dir_ / "data" / "manifests" / "run-0.json") << R"({"run_id":"run-0"})";
  store_->copy_in("manifests/run-1.json", dir_ / "data" / "manifests" / "run-1.json");
  EXPECT_EQ(in_bucket("manifests/run-1.json"), R"({"run_id":"run-1"})");
  // Manifests share a directory: another run's is not an older copy to remove.
  EXPECT_TRUE(fs::exists(dir_ / "data" / "manifests" / "run-0.json"));
  EXPECT_EQ(bucket_->uploads, 1);
}

TEST_F(MirroredStoreTest, ATornOutboxLineIsIgnoredAndTheNextEntryIsKept) {
  bucket_->down = true;
  put(kSpy, "spy");
  std::ofstream(outbox_->file(), std::ios::app) << R"({"key":"raw/vix/date=2025-01-17/da)";
  ASSERT_EQ(outbox_->entries().size(), 1u);
  EXPECT_EQ(outbox_->entries()[0].key, kSpy);
  put(kVix, "vix");  // appended after the torn line, on a line of its own
  const auto owed = outbox_->entries();
  ASSERT_EQ(owed.size(), 2u);
  EXPECT_EQ(owed[1].key, kVix);
}

TEST_F(MirroredStoreTest, AfterAFailureCommitsOnlyQueueUntilThePauseIsOver) {
  store_ = make_store(std::chrono::hours(1));
  bucket_->down = true;
  put(kSpy, "spy");
  put(kVix, "vix");
  EXPECT_EQ(bucket_->attempts, 1) << "the second commit must not wait on a bucket that just failed";
  EXPECT_EQ(outbox_->size(), 2u);
  EXPECT_EQ(reported_.size(), 1u);
  EXPECT_EQ(read_text(dir_ / "data" / kVix), "vix");  // the record is written all the same
}

TEST_F(MirroredStoreTest, ALocalPutThatFailsAfterItsRenameLeavesTheKeyOwed) {
  // A directory where the object's older layout would be: put() renames the new
  // object into place, then cannot remove the directory and throws.
  fs::create_directories(dir_ / "data" / "raw/spy/date=2025-01-17" / "old.parquet" / "x");
  EXPECT_THROW(put(kSpy, "spy"), SoiError);
  EXPECT_EQ(read_text(dir_ / "data" / kSpy), "spy");
  ASSERT_EQ(outbox_->size(), 1u);
  EXPECT_EQ(outbox_->entries()[0].key, kSpy);
  store_->drain();
  EXPECT_EQ(in_bucket(kSpy), "spy");
}

TEST_F(MirroredStoreTest, AnEntryThatFailsOnItsOwnDoesNotBlockTheOthers) {
  bucket_->down = true;
  put(kSpy, "spy");
  put(kVix, "vix");
  bucket_->down = false;
  // The spy object cannot be read locally any more (a directory in its place).
  fs::remove(dir_ / "data" / kSpy);
  fs::create_directories(dir_ / "data" / kSpy);
  const MirrorDrain drained = store_->drain();
  EXPECT_EQ(drained.uploaded, 1u);
  EXPECT_EQ(drained.owed, 1u);
  EXPECT_EQ(in_bucket(kVix), "vix");
  ASSERT_EQ(outbox_->size(), 1u);
  EXPECT_EQ(outbox_->entries()[0].key, kSpy);
}

}  // namespace
}  // namespace soi

namespace soi {
namespace {

// The local put hashed the file already: the upload is handed that hash, not
// left to read the file again; a drained entry has none to hand on.
TEST_F(MirroredStoreTest, AnUploadIsHandedTheHashTheLocalPutComputed) {
  const StoredObject stored = put(kSpy, "spy day");
  EXPECT_EQ(stored.sha256, sha256_file_hex(dir_ / "data" / kSpy));
  ASSERT_EQ(bucket_->known_hashes.size(), 1u);
  EXPECT_EQ(bucket_->known_hashes[0], stored.sha256);

  bucket_->down = true;
  const std::string vix = "raw/vix/date=2025-01-17/data.parquet";
  put(vix, "vix day");
  bucket_->down = false;
  bucket_->known_hashes.clear();
  put(kSpy, "spy day, again");
  ASSERT_EQ(bucket_->known_hashes.size(), 2u);
  EXPECT_EQ(bucket_->known_hashes[0], sha256_file_hex(dir_ / "data" / kSpy));
  EXPECT_EQ(bucket_->known_hashes[1], "") << "the outbox's entry";
  EXPECT_EQ(in_bucket(vix), "vix day");
}

}  // namespace
}  // namespace soi
