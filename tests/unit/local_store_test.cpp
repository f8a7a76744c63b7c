// LocalStore: objects as files under a root, replaced by staged rename, and
// the partition-key helpers every store shares.
#include "sinks/store/local_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <thread>

#include "sinks/parquet/bar_partition_reader.hpp"
#include "sinks/parquet/parquet_sink.hpp"
#include "utils/error.hpp"
#include "utils/file_digest.hpp"

namespace soi {
namespace {
namespace fs = std::filesystem;

const Date kDay = *parse_date("2025-01-17");
const std::string kKey = "raw/spy/date=2025-01-17/data.parquet";

class LocalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { fs::remove_all(dir_); }
  void TearDown() override { fs::remove_all(dir_); }

  // Stages `content` for `key` and puts it.
  StoredObject put(const std::string& key, const std::string& content) {
    StagedFile staged = store_.stage(key);
    std::ofstream(staged.path(), std::ios::binary) << content;
    return store_.put(std::move(staged));
  }
  static std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static std::set<std::string> files_in(const fs::path& dir) {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
    return names;
  }
  static void expect_storage_error(const std::function<void()>& call, const std::string& needle) {
    try {
      call();
      ADD_FAILURE() << "expected SoiError mentioning " << needle;
    } catch (const SoiError& e) {
      EXPECT_EQ(e.category(), ErrorCategory::storage) << e.what();
      EXPECT_NE(e.message().find(needle), std::string::npos) << e.message();
    }
  }

  const fs::path dir_ = fs::temp_directory_path() / ("soi_local_store_" + std::to_string(::getpid()) + "_" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
  LocalStore store_{dir_};
};

TEST_F(LocalStoreTest, PutReplacesTheObjectWholeAndConsumesTheStagedFile) {
  const StoredObject first = put(kKey, "first version");
  EXPECT_EQ(first.location, (dir_ / kKey).string());
  EXPECT_EQ(first.location, store_.location(kKey));
  EXPECT_EQ(first.bytes, 13u);
  EXPECT_EQ(first.sha256, sha256_file_hex(dir_ / kKey));
  EXPECT_EQ(read(dir_ / kKey), "first version");

  // A reader that opened the old object keeps reading it whole while it is replaced.
  std::ifstream old_reader(dir_ / kKey, std::ios::binary);
  const StoredObject second = put(kKey, "v2");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(old_reader), {}), "first version");
  EXPECT_EQ(second.bytes, 2u);
  EXPECT_NE(second.sha256, first.sha256);
  const auto object = store_.get(kKey);
  ASSERT_TRUE(object);
  EXPECT_EQ(object->path(), dir_ / kKey);  // the file itself: no copy
  EXPECT_EQ(read(object->path()), "v2");
  EXPECT_EQ(files_in((dir_ / kKey).parent_path()), std::set<std::string>{"data.parquet"});
}

TEST_F(LocalStoreTest, StagedFileThatNeverReachesPutIsRemoved) {
  fs::path staged_path;
  {
    StagedFile staged = store_.stage(kKey);
    staged_path = staged.path();
    EXPECT_EQ(staged.key(), kKey);
    EXPECT_EQ(staged_path.parent_path(), (dir_ / kKey).parent_path());  // beside the target: put is a rename
    EXPECT_EQ(staged_path.filename().string().rfind(".data.parquet.tmp-", 0), 0u) << staged_path;
    std::ofstream(staged_path) << "half";
    StagedFile moved = std::move(staged);  // the handle moves; the file stays until the last owner goes
    EXPECT_TRUE(fs::exists(staged_path));
  }
  EXPECT_FALSE(fs::exists(staged_path));
  EXPECT_FALSE(store_.get(kKey));
}

TEST_F(LocalStoreTest, StageDropsWhatAnInterruptedWriteOfTheKeyLeft) {
  put(kKey, "day");
  const fs::path day_dir = (dir_ / kKey).parent_path();
  std::ofstream(day_dir / ".data.parquet.tmp-999-1") << "partial";
  std::ofstream(day_dir / ".keep") << "x";
  StagedFile staged = store_.stage(kKey);
  EXPECT_EQ(files_in(day_dir), (std::set<std::string>{"data.parquet", ".keep"}));
  EXPECT_EQ(read(dir_ / kKey), "day");
}

TEST_F(LocalStoreTest, PutKeepsOneObjectOfItsKindPerDirectory) {
  const fs::path day_dir = (dir_ / kKey).parent_path();
  fs::create_directories(day_dir);
  std::ofstream(day_dir / "part-0001.parquet") << "old layout";
  std::ofstream(day_dir / "notes.txt") << "kept";
  put(kKey, "day");
  EXPECT_EQ(files_in(day_dir), (std::set<std::string>{"data.parquet", "notes.txt"}));
}

TEST_F(LocalStoreTest, ListGivesSortedKeysUnderAPrefixAndNoStagingFiles) {
  put("raw/vix/date=2025-01-17/data.parquet", "v");
  put("raw/spy/date=2025-01-17/data.parquet", "b");
  put("raw/spy/date=2025-01-16/data.parquet", "a");
  StagedFile in_flight = store_.stage("raw/spy/date=2025-01-20/data.parquet");
  std::ofstream(in_flight.path()) << "not yet";
  const std::vector<std::string> all = {"raw/spy/date=2025-01-16/data.parquet",
                                        "raw/spy/date=2025-01-17/data.parquet",
                                        "raw/vix/date=2025-01-17/data.parquet"};
  EXPECT_EQ(store_.list("raw/"), all);
  EXPECT_EQ(store_.list(""), all);
  EXPECT_EQ(store_.list("raw/spy/"), std::vector<std::string>(all.begin(), all.begin() + 2));
  EXPECT_EQ(store_.list("raw/sp"), std::vector<std::string>(all.begin(), all.begin() + 2));
  EXPECT_EQ(store_.list("raw/spy/date=2025-01-17"), std::vector<std::string>{all[1]});
  EXPECT_TRUE(store_.list("raw/news/").empty());
  EXPECT_TRUE(store_.list("processed/").empty());
}

TEST_F(LocalStoreTest, StoredDaysOfAFeedIgnoreStrayFiles) {
  put(partition_key("spy", add_days(kDay, 3)), "x");
  put(partition_key("spy", kDay), "x");
  put(partition_key("spy", add_days(kDay, -1)), "x");
  put(partition_key("spyder", kDay), "x");  // another feed sharing the name's start
  put("raw/spy/date=2025-13-45/data.parquet", "x");
  put("raw/spy/date=2025-01-18/other.json", "x");
  put("raw/spy/readme.txt", "x");
  EXPECT_EQ(stored_days(store_, "spy"), (std::vector<Date>{add_days(kDay, -1), kDay, add_days(kDay, 3)}));
  EXPECT_EQ(stored_days(store_, "spyder"), std::vector<Date>{kDay});
  EXPECT_TRUE(stored_days(store_, "vix").empty());
}

TEST_F(LocalStoreTest, Sha256AndRemove) {
  const StoredObject stored = put(kKey, "abc");
  EXPECT_EQ(stored.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // FIPS 180-2 vector
  EXPECT_EQ(store_.sha256(kKey), stored.sha256);
  EXPECT_TRUE(store_.remove(kKey));
  EXPECT_FALSE(store_.get(kKey));
  EXPECT_FALSE(store_.sha256(kKey));
  EXPECT_FALSE(store_.remove(kKey));
  EXPECT_TRUE(store_.list("raw/").empty());
}

TEST_F(LocalStoreTest, AMissingObjectIsNotAnError) {
  // The root does not exist yet: reads find nothing and create nothing.
  EXPECT_FALSE(store_.get(kKey));
  EXPECT_FALSE(store_.sha256(kKey));
  EXPECT_FALSE(store_.remove(kKey));
  EXPECT_TRUE(store_.list("raw/").empty());
  EXPECT_TRUE(stored_days(store_, "spy").empty());
  EXPECT_EQ(store_.remove_stale_staging("raw/"), 0u);
  EXPECT_FALSE(fs::exists(dir_));
}

TEST_F(LocalStoreTest, StagingIntoANewFeedCreatesItsDirectoriesAndPutMakesTheDayVisible) {
  put(kKey, "spy day");  // the root and raw/ exist; the feed does not
  const std::string key = partition_key("qqq", kDay);
  ASSERT_FALSE(fs::exists(dir_ / "raw/qqq"));
  StagedFile staged = store_.stage(key);
  EXPECT_TRUE(fs::is_directory(dir_ / "raw/qqq/date=2025-01-17"));
  EXPECT_EQ(staged.path().parent_path(), dir_ / "raw/qqq/date=2025-01-17");
  std::ofstream(staged.path(), std::ios::binary) << "qqq day";
  EXPECT_FALSE(store_.get(key)) << "staged is not stored";
  EXPECT_EQ(stored_days(store_, "qqq"), std::vector<Date>{});
  const StoredObject stored = store_.put(std::move(staged));
  EXPECT_EQ(stored.location, (dir_ / key).string());
  const auto object = store_.get(key);
  ASSERT_TRUE(object);
  EXPECT_EQ(read(object->path()), "qqq day");
  EXPECT_EQ(stored_days(store_, "qqq"), std::vector<Date>{kDay});
  EXPECT_EQ(files_in(dir_ / "raw/qqq/date=2025-01-17"), std::set<std::string>{"data.parquet"});
  EXPECT_EQ(read(dir_ / kKey), "spy day");
}

// A staged file, however far its writer got, is not the object: until put()
// the key gives the previous object whole.
TEST_F(LocalStoreTest, AHalfWrittenStagedFileIsNeverWhatTheKeyGives) {
  put(kKey, "previous day, whole");
  StagedFile staged = store_.stage(kKey);
  std::ofstream(staged.path(), std::ios::binary) << "new d";  // the writer is mid-way
  const auto object = store_.get(kKey);
  ASSERT_TRUE(object);
  EXPECT_EQ(read(object->path()), "previous day, whole");
  EXPECT_EQ(store_.list("raw/"), std::vector<std::string>{kKey});
  EXPECT_EQ(store_.sha256(kKey), sha256_file_hex(dir_ / kKey));
}

// A partition file cut short (a copy made by hand, a disk fault) is reported by
// its reader as a storage error naming it, never read as a shorter day.
TEST_F(LocalStoreTest, AReadOfATruncatedPartitionIsReportedNotShortened) {
  auto store = std::make_shared<LocalStore>(dir_);
  ParquetSink sink(store, ParquetSinkConfig{}, 1);
  BarDay day;
  day.feed = "spy";
  day.ticker = "SPY";
  day.date = kDay;
  for (int i = 0; i < 2000; ++i) {
    Bar b;
    b.ts_ms = 1737124200000 + i * 1000;
    b.open = b.high = b.low = b.close = 600 + i * 0.01;
    day.bars.push_back(b);
  }
  const std::vector<BarDay> days = {day};
  sink.write_partition("spy", kDay, days, RunInfo{"test", 0});
  ASSERT_EQ(read_bar_partition(*store, "spy", kDay).at(0).bars.size(), 2000u);  // whole, it reads

  const fs::path file = dir_ / kKey;
  const std::string whole = read(file);
  for (const std::size_t size : {whole.size() - 1, whole.size() / 2, std::size_t{4}, std::size_t{0}}) {
    SCOPED_TRACE(size);
    std::ofstream(file, std::ios::binary | std::ios::trunc) << whole.substr(0, size);
    ASSERT_EQ(fs::file_size(file), size);
    expect_storage_error([&] { (void)read_bar_partition(*store, "spy", kDay); }, file.string());
  }
}

// After the rename the new object is what readers get: a failure then (here
// removing a stray file of the directory; a directory fsync failing is the
// same path) cannot claim the previous object is intact, and says it was replaced.
TEST_F(LocalStoreTest, APutThatFailsAfterTheRenameSaysTheObjectWasReplaced) {
  put(kKey, "previous");
  const fs::path day_dir = (dir_ / kKey).parent_path();
  fs::create_directories(day_dir / "stray.parquet/not-empty");  // removal must fail
  try {
    put(kKey, "replacement");
    ADD_FAILURE() << "expected SoiError";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
    EXPECT_NE(e.message().find((dir_ / kKey).string() + " was replaced by the new object, but "), std::string::npos)
        << e.message();
    EXPECT_NE(e.message().find((day_dir / "stray.parquet").string()), std::string::npos) << e.message();
  }
  EXPECT_EQ(read(dir_ / kKey), "replacement");
  EXPECT_EQ(files_in(day_dir), (std::set<std::string>{"data.parquet", "stray.parquet"})) << "no staging file left";
  fs::remove_all(day_dir / "stray.parquet");
  put(kKey, "next");
  EXPECT_EQ(read(dir_ / kKey), "next");
}

TEST_F(LocalStoreTest, FailedPutLeavesTheOldObjectAndNoStagingFile) {
  fs::create_directories(dir_ / "raw/spy/date=2025-01-17/data.parquet/blocker");  // rename must fail
  expect_storage_error([&] { put(kKey, "new"); }, (dir_ / kKey).string());
  EXPECT_EQ(files_in((dir_ / kKey).parent_path()), std::set<std::string>{"data.parquet"});
  expect_storage_error([&] { (void)store_.get(kKey); }, (dir_ / kKey).string());
  fs::remove_all(dir_ / kKey);
  put(kKey, "new");
  EXPECT_EQ(read(dir_ / kKey), "new");
}

TEST_F(LocalStoreTest, RemoveStaleStagingOnlyTouchesStagingFilesUnderThePrefix) {
  put(kKey, "day");
  const fs::path other = dir_ / "raw/options/date=2025-01-16";
  fs::create_directories(other);
  fs::create_directories(dir_ / "state");
  std::ofstream((dir_ / kKey).parent_path() / ".data.parquet.tmp-1-1") << "x";
  std::ofstream(other / ".data.parquet.tmp-2-7") << "x";
  std::ofstream(other / ".keep") << "x";
  std::ofstream(dir_ / "state/.data.parquet.tmp-3-1") << "outside the prefix";
  EXPECT_EQ(store_.remove_stale_staging("raw/"), 2u);
  EXPECT_EQ(files_in((dir_ / kKey).parent_path()), std::set<std::string>{"data.parquet"});
  EXPECT_EQ(files_in(other), std::set<std::string>{".keep"});
  EXPECT_TRUE(fs::exists(dir_ / "state/.data.parquet.tmp-3-1"));
  EXPECT_EQ(store_.remove_stale_staging("raw/"), 0u);
}

TEST_F(LocalStoreTest, KeysThatCouldEscapeTheRootAreRefused) {
  for (const std::string key : {"", "../x", "/etc/passwd", "raw//x", "raw/./x", "raw/../../x", "raw/spy/", "a\\b"}) {
    SCOPED_TRACE(key);
    expect_storage_error([&] { (void)store_.stage(key); }, "invalid object key");
    expect_storage_error([&] { (void)store_.get(key); }, "invalid object key");
    expect_storage_error([&] { (void)store_.location(key); }, "invalid object key");
    expect_storage_error([&] { (void)store_.remove(key); }, "invalid object key");
  }
  expect_storage_error([&] { (void)store_.list("../"); }, "invalid object key prefix");
  expect_storage_error([&] { (void)store_.list("/raw"); }, "invalid object key prefix");
  EXPECT_FALSE(fs::exists(dir_));
}

TEST(PartitionKey, IsTheHiveLayoutOfAFeedDay) {
  EXPECT_EQ(partition_key("spy", kDay), kKey);
  EXPECT_EQ(partition_key("options_contracts", kDay), "raw/options_contracts/date=2025-01-17/data.parquet");
  EXPECT_EQ(parquet_partition_file("/d", "spy", kDay), fs::path("/d/raw/spy/date=2025-01-17/data.parquet"));
  for (const char* feed : {"", ".", "..", "a/b", "a\\b"}) EXPECT_THROW(partition_key(feed, kDay), SoiError) << feed;
}

// Readers on other threads see a whole old or whole new object while a writer
// replaces it over and over. The writer goes on until the reader has read many
// times while it was writing, so the reads overlap the replacements (an
// in-place rewrite would show up as a short or mixed read).
TEST_F(LocalStoreTest, ReadersNeverSeeAPartialObject) {
  const std::string a(256 * 1024, 'a');
  const std::string b(512 * 1024, 'b');
  put(kKey, a);
  std::atomic<bool> writing{true};
  std::atomic<int> reads_while_writing{0};
  std::atomic<int> torn{0};
  std::thread reader([&] {
    while (writing.load()) {
      const auto object = store_.get(kKey);
      const std::string content = object ? read(object->path()) : std::string();
      if (content != a && content != b) ++torn;
      if (writing.load()) ++reads_while_writing;
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int puts = 0;
  for (; puts < 40 || reads_while_writing.load() < 40; ++puts) {
    if (std::chrono::steady_clock::now() > deadline) break;
    put(kKey, puts % 2 ? a : b);
  }
  writing = false;
  reader.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GE(reads_while_writing.load(), 40) << "the reads did not overlap the " << puts << " replacements";
}

}  // namespace
}  // namespace soi
