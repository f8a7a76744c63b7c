// FaultyStore, the test double other tests rely on: each declared fault fires
// exactly when declared, and nothing else changes.
#include "support/faulty_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "sinks/store/local_store.hpp"
#include "utils/error.hpp"

namespace soi::test {
namespace {
namespace fs = std::filesystem;

const std::string kKey = "raw/spy/date=2025-01-17/data.parquet";

class FaultyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { fs::remove_all(dir_); }
  void TearDown() override { fs::remove_all(dir_); }

  static StoredObject put(PartitionStore& store, const std::string& content) {
    StagedFile staged = store.stage(kKey);
    std::ofstream(staged.path(), std::ios::binary) << content;
    return store.put(std::move(staged));
  }
  static std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::string stored() const { return read(dir_ / kKey); }
  std::vector<fs::path> hidden_files() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator((dir_ / kKey).parent_path()))
      if (e.path().filename().string().front() == '.') out.push_back(e.path());
    return out;
  }

  const fs::path dir_ = fs::temp_directory_path() / ("soi_faulty_store_" + std::to_string(::getpid()) + "_" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::shared_ptr<LocalStore> local_ = std::make_shared<LocalStore>(dir_);
};

TEST_F(FaultyStoreTest, FailsTheNthPutOnly) {
  FaultyStore store(local_, StoreFaults{.fail_put = 2});
  put(store, "one");
  try {
    put(store, "two");
    FAIL() << "expected SoiError";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
    EXPECT_NE(e.message().find(kKey), std::string::npos) << e.message();
  }
  EXPECT_EQ(stored(), "one");
  EXPECT_TRUE(hidden_files().empty());  // a failed put drops its staging file
  put(store, "three");
  EXPECT_EQ(stored(), "three");
  EXPECT_EQ(store.puts(), 3u);
  EXPECT_EQ(store.failed_puts(), 1u);
}

// A torn put is what a crash while the object is being written leaves: the
// first half of the new bytes in a staging file, the previous object whole.
TEST_F(FaultyStoreTest, ATornPutLeavesHalfAStagingFileAndNeverTheObject) {
  FaultyStore store(local_, StoreFaults{.tear_put = 2});
  put(store, "previous");
  try {
    put(store, "0123456789");
    FAIL() << "expected SoiError";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
    EXPECT_NE(e.message().find(kKey), std::string::npos) << e.message();
  }
  EXPECT_EQ(stored(), "previous");
  ASSERT_TRUE(store.get(kKey));
  EXPECT_EQ(read(store.get(kKey)->path()), "previous");
  EXPECT_EQ(store.list("raw/"), std::vector<std::string>{kKey});
  const auto left = hidden_files();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(read(left[0]), "01234") << "the staged bytes, cut in half";
  EXPECT_EQ(store.failed_puts(), 1u);

  // The next write of the key drops it, as after a restart.
  StagedFile next = store.stage(kKey);
  EXPECT_FALSE(fs::exists(left[0]));
  std::ofstream(next.path(), std::ios::binary) << "whole";
  store.put(std::move(next));
  EXPECT_EQ(stored(), "whole");
  EXPECT_TRUE(hidden_files().empty());
}

TEST_F(FaultyStoreTest, ATornPutOfANewKeyLeavesNoObjectAndAStaleFileForStartUp) {
  FaultyStore store(local_, StoreFaults{.tear_put = 1});
  EXPECT_THROW(put(store, "0123456789"), SoiError);
  EXPECT_FALSE(store.get(kKey));
  EXPECT_TRUE(store.list("raw/").empty());
  const auto left = hidden_files();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(read(left[0]), "01234");
  EXPECT_EQ(store.remove_stale_staging("raw/"), 1u);
  EXPECT_TRUE(hidden_files().empty());
}

TEST_F(FaultyStoreTest, ASlowStoreSleepsOnEveryPut) {
  FaultyStore store(local_, StoreFaults{.put_delay = std::chrono::milliseconds(60)});
  const auto start = std::chrono::steady_clock::now();
  put(store, "a");
  put(store, "b");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(120));
  EXPECT_EQ(stored(), "b");
  EXPECT_EQ(store.failed_puts(), 0u);
}

TEST_F(FaultyStoreTest, AnUnreadableStoreFailsGetsNamingTheKey) {
  put(*local_, "day");
  FaultyStore store(local_, StoreFaults{.fail_get = true});
  try {
    (void)store.get(kKey);
    FAIL() << "expected SoiError";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
    EXPECT_NE(e.message().find(kKey), std::string::npos) << e.message();
  }
  EXPECT_EQ(store.list("raw/"), std::vector<std::string>{kKey});
}

TEST_F(FaultyStoreTest, WithoutFaultsItIsTheWrappedStore) {
  FaultyStore store(local_, StoreFaults{});
  const StoredObject stored_object = put(store, "abc");
  EXPECT_EQ(stored_object.location, local_->location(kKey));
  EXPECT_EQ(store.location(kKey), local_->location(kKey));
  EXPECT_EQ(store.sha256(kKey), stored_object.sha256);
  ASSERT_TRUE(store.get(kKey));
  EXPECT_EQ(store.get(kKey)->path(), dir_ / kKey);
  EXPECT_TRUE(store.remove(kKey));
  EXPECT_FALSE(local_->get(kKey));
  EXPECT_EQ(store.puts(), 1u);
}

}  // namespace
}  // namespace soi::test
