#include "processing/late_data.hpp"

#include <gtest/gtest.h>

#include "utils/error.hpp"
#include "utils/market_calendar.hpp"

namespace soi {
namespace {

const Date kFri = *parse_date("2025-01-17");
const Date kTue = *parse_date("2025-01-21");  // Monday 2025-01-20 is MLK day

std::int64_t ny(Date d, int hh, int mm = 0) { return ny_wall_to_utc_ms(d, hh * 60 + mm); }

LateDataConfig config(std::string policy, int days) { return LateDataConfig{std::move(policy), days}; }

TEST(LateDataTest, StreamingRejectsRecordsBeforeTodayWithReason) {
  LateDataPolicy p(config("reject", 0), IngestMode::streaming);
  EXPECT_TRUE(p.enforced());
  EXPECT_TRUE(p.check(ny(kFri, 9, 30), kFri).accepted);
  EXPECT_TRUE(p.check(ny(kFri, 0, 0), kFri).accepted);  // New York midnight is on time
  const auto v = p.check(ny(*parse_date("2025-01-16"), 15, 59), kFri);
  EXPECT_FALSE(v.accepted);
  EXPECT_FALSE(static_cast<bool>(v));
  EXPECT_EQ(v.reason,
            "late_data: record from 2025-01-16 is older than the current trading day 2025-01-17 "
            "(late_data.max_lateness_days=0)");
  // 23:59 New York on the 16th is already the 17th in UTC: the New York date decides.
  EXPECT_FALSE(p.check(ny(*parse_date("2025-01-16"), 23, 59), kFri).accepted);
}

TEST(LateDataTest, FutureRecordsAreNotLate) {
  LateDataPolicy p(config("reject", 0), IngestMode::streaming);
  EXPECT_TRUE(p.check(ny(add_days(kFri, 1), 10), kFri).accepted);
}

TEST(LateDataTest, BackfillAndAcceptPolicyAreExempt) {
  LateDataPolicy backfill(config("reject", 0), IngestMode::backfill);
  EXPECT_FALSE(backfill.enforced());
  EXPECT_TRUE(backfill.check(ny(*parse_date("2020-03-16"), 10), kFri).accepted);
  LateDataPolicy accept(config("accept", 0), IngestMode::streaming);
  EXPECT_FALSE(accept.enforced());
  EXPECT_TRUE(accept.check(ny(*parse_date("2025-01-02"), 10), kFri).accepted);
}

TEST(LateDataTest, MaxLatenessInCalendarDays) {
  LateDataPolicy p(config("reject", 2), IngestMode::streaming);
  EXPECT_EQ(format_date(p.oldest_on_time_day(kFri)), "2025-01-15");
  EXPECT_TRUE(p.check(ny(*parse_date("2025-01-15"), 10), kFri).accepted);
  const auto v = p.check(ny(*parse_date("2025-01-14"), 10), kFri);
  EXPECT_FALSE(v.accepted);
  EXPECT_EQ(v.reason,
            "late_data: record from 2025-01-14 is older than the oldest on-time day 2025-01-15 for the current "
            "trading day 2025-01-17 (late_data.max_lateness_days=2)");
}

TEST(LateDataTest, MaxLatenessInTradingDaysWithCalendar) {
  MarketCalendar calendar;
  LateDataPolicy p(config("reject", 1), IngestMode::streaming, &calendar);
  // One trading day before Tuesday 2025-01-21 is Friday 2025-01-17 (weekend + MLK day skipped).
  EXPECT_EQ(format_date(p.oldest_on_time_day(kTue)), "2025-01-17");
  EXPECT_TRUE(p.check(ny(kFri, 15), kTue).accepted);
  EXPECT_FALSE(p.check(ny(*parse_date("2025-01-16"), 15), kTue).accepted);
}

TEST(LateDataTest, CutoffFollowsTheDay) {
  LateDataPolicy p(config("reject", 0), IngestMode::streaming);
  const std::int64_t ts = ny(kFri, 10);
  EXPECT_TRUE(p.check(ts, kFri).accepted);
  EXPECT_FALSE(p.check(ts, add_days(kFri, 1)).accepted);  // the cached cutoff moves with today
  EXPECT_TRUE(p.check(ts, kFri).accepted);
}

TEST(LateDataTest, InvalidConfigIsConfigError) {
  try {
    LateDataPolicy p(config("drop", 0), IngestMode::streaming);
    FAIL();
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::config);
    EXPECT_NE(e.message().find("reject|accept"), std::string::npos);
  }
  EXPECT_THROW(LateDataPolicy(config("reject", -1), IngestMode::streaming), SoiError);
}

}  // namespace
}  // namespace soi
