// The daemon's list of days awaiting their backfill: kept across restarts,
// sorted, bounded, and a disk that refuses it is a storage error naming the file.
#include "orchestrator/pending_backfills.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "utils/error.hpp"

namespace soi {
namespace {

namespace fs = std::filesystem;

Date day(const char* text) { return *parse_date(text); }

class PendingBackfillsTest : public ::testing::Test {
 protected:
  PendingBackfillsTest() {
    static int counter = 0;
    dir_ = fs::temp_directory_path() / ("soi_pending_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir_);
  }
  ~PendingBackfillsTest() override {
    std::error_code ignored;
    fs::permissions(dir_, fs::perms::owner_all, ignored);
    fs::remove_all(dir_, ignored);
  }
  fs::path file() const { return pending_backfills_file(dir_); }
  fs::path dir_;
};

TEST_F(PendingBackfillsTest, DaysSurviveARestartOldestFirstUntilRemoved) {
  {
    PendingBackfills pending(file());
    EXPECT_TRUE(pending.days().empty()) << "no file: nothing pending";
    pending.add(day("2025-01-17"));
    pending.add(day("2025-01-16"));
    pending.add(day("2025-01-17"));
  }
  PendingBackfills reloaded(file());
  EXPECT_EQ(reloaded.days(), (std::vector<Date>{day("2025-01-16"), day("2025-01-17")}));
  reloaded.remove(day("2025-01-16"));
  reloaded.remove(day("2025-01-21"));  // never added: nothing changes
  EXPECT_EQ(PendingBackfills(file()).days(), std::vector<Date>{day("2025-01-17")});
  EXPECT_EQ(file(), dir_ / "state/stream/pending_backfill.txt");
}

TEST_F(PendingBackfillsTest, UnreadableLinesAreIgnoredAndOldDaysDropped) {
  fs::create_directories(file().parent_path());
  std::ofstream(file()) << "2025-01-16\nnot a date\n2025-13-01\n\n2024-11-01\n";
  PendingBackfills pending(file());
  EXPECT_EQ(pending.days(), (std::vector<Date>{day("2024-11-01"), day("2025-01-16")}));
  pending.add(day("2025-01-17"));  // more than kKeepDays after 2024-11-01
  EXPECT_EQ(PendingBackfills(file()).days(), (std::vector<Date>{day("2025-01-16"), day("2025-01-17")}));
}

TEST_F(PendingBackfillsTest, AnUnwritableDirectoryIsAStorageErrorNamingTheFile) {
  if (::geteuid() == 0) {
    // Root writes through permissions: make the state path a file instead.
    fs::create_directories(dir_ / "state");
    std::ofstream(dir_ / "state/stream") << "a file where a directory belongs";
  } else {
    fs::create_directories(dir_);
    fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  }
  PendingBackfills pending(file());
  try {
    pending.add(day("2025-01-17"));
    FAIL() << "the write should have failed";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
    EXPECT_NE(std::string(e.what()).find(file().string()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace soi
