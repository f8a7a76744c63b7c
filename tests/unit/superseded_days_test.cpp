// The record of backfilled days that a stream's replay consults: a record of a
// (feed, day) received before the day's backfill started is superseded; the
// file survives a reload, keeps the latest start per day and forgets old days.
#include "orchestrator/superseded_days.hpp"

#include <unistd.h>

#include <fstream>
#include <vector>

#include <gtest/gtest.h>

#include "utils/error.hpp"

namespace soi {
namespace {

namespace fs = std::filesystem;

class SupersededDaysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("soi-superseded-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path file() const { return superseded_days_file(dir_); }
  fs::path dir_;
};

const Date kDay = *parse_date("2025-01-17");

TEST_F(SupersededDaysTest, RecordsBeforeTheBackfillAreSupersededPerFeedAndDay) {
  EXPECT_EQ(file(), dir_ / "state" / "stream" / "superseded.txt");
  {
    SupersededDays none(file());  // no file yet: nothing superseded
    EXPECT_FALSE(none.superseded("spy", kDay, 0));
    none.mark("spy", kDay, 5000);
    none.mark("spy", kDay, 4000);  // an older backfill does not move the mark back
  }
  const SupersededDays marks(file());
  EXPECT_EQ(marks.size(), 1u);
  EXPECT_TRUE(marks.superseded("spy", kDay, 4999));
  EXPECT_FALSE(marks.superseded("spy", kDay, 5000)) << "received after the backfill started: replayed";
  EXPECT_FALSE(marks.superseded("vix", kDay, 1)) << "another feed";
  EXPECT_FALSE(marks.superseded("spy", add_days(kDay, -1), 1)) << "another day";
}

TEST_F(SupersededDaysTest, OldDaysAreForgottenAndMalformedLinesIgnored) {
  {
    SupersededDays marks(file());
    marks.mark("options", add_days(kDay, -40), 100);
    marks.mark("options", kDay, 200);  // 40 days later: the old one is dropped
    EXPECT_EQ(marks.size(), 1u);
  }
  {
    std::ofstream out(file(), std::ios::app);
    out << "garbage\nspy 2025-13-01 5\nspy 2025-01-16 notanumber\nvix 2025-01-16 300\n";
  }
  const SupersededDays marks(file());
  EXPECT_EQ(marks.size(), 2u);
  EXPECT_TRUE(marks.superseded("vix", add_days(kDay, -1), 299));
  EXPECT_FALSE(marks.superseded("options", add_days(kDay, -40), 1));
}

// A backfill's days are marked at once, in whatever order they come: the file
// then holds what marking them one by one would leave (the newest kKeepDays
// before the newest day of any feed), and no days writes no file.
TEST_F(SupersededDaysTest, ManyDaysAreMarkedAtOnce) {
  SupersededDays marks(file());
  marks.mark("spy", std::span<const Date>{}, 1);
  EXPECT_FALSE(fs::exists(file()));
  std::vector<Date> year;
  for (int i = 364; i >= 0; --i) year.push_back(add_days(kDay, -i));  // oldest first
  marks.mark("spy", year, 7000);
  {
    const SupersededDays reread(file());
    EXPECT_EQ(reread.size(), static_cast<std::size_t>(SupersededDays::kKeepDays + 1));
    EXPECT_TRUE(reread.superseded("spy", kDay, 6999));
    EXPECT_TRUE(reread.superseded("spy", add_days(kDay, -SupersededDays::kKeepDays), 6999));
    EXPECT_FALSE(reread.superseded("spy", add_days(kDay, -SupersededDays::kKeepDays - 1), 6999));
  }
  // A newer day of another feed, stored already, moves the cut for the days marked next.
  marks.mark("vix", add_days(kDay, 10), 8000);
  const std::vector<Date> older = {add_days(kDay, -25), add_days(kDay, -20)};
  marks.mark("options", older, 9000);
  const SupersededDays reread(file());
  EXPECT_TRUE(reread.superseded("options", add_days(kDay, -20), 8999));
  EXPECT_FALSE(reread.superseded("options", add_days(kDay, -25), 8999)) << "more than kKeepDays before the vix day";
  EXPECT_FALSE(reread.superseded("spy", add_days(kDay, -22), 6999)) << "pruned by the newer vix day";
  EXPECT_TRUE(reread.superseded("spy", add_days(kDay, -21), 6999));
}

TEST_F(SupersededDaysTest, AnUnwritableFileIsAStorageError) {
  fs::create_directories(file());  // a directory where the file should be
  SupersededDays marks(file());
  try {
    marks.mark("spy", kDay, 1);
    FAIL() << "no error";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
  }
}

}  // namespace
}  // namespace soi
