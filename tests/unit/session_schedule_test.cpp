#include "orchestrator/session_schedule.hpp"

#include <gtest/gtest.h>

namespace soi {
namespace {

Date d(const char* text) { return *parse_date(text); }

// UTC wall clock -> epoch ms, written out by hand so the DST offsets are checked, not recomputed.
std::int64_t utc(const char* day, int hour, int minute, int second = 0) {
  auto t = to_sys(d(day)) + std::chrono::hours(hour) + std::chrono::minutes(minute) + std::chrono::seconds(second);
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

class SessionScheduleTest : public ::testing::Test {
 protected:
  MarketCalendar calendar_;
  SessionSchedule schedule_{calendar_};
};

TEST_F(SessionScheduleTest, FridayAfterCloseGoesToMonday) {
  const auto st = schedule_.status(utc("2025-01-10", 22, 0));  // Friday 17:00 EST
  EXPECT_EQ(st.state, MarketState::after_close);
  EXPECT_EQ(st.today, d("2025-01-10"));
  EXPECT_EQ(st.session.date, d("2025-01-13"));
  EXPECT_EQ(st.session.open_ms, utc("2025-01-13", 14, 30));
  EXPECT_EQ(st.session.close_ms, utc("2025-01-13", 21, 0));
  EXPECT_FALSE(st.session.early_close);
  EXPECT_EQ(schedule_.describe(utc("2025-01-10", 22, 0)),
            "market closed for the day; next session opens Monday 2025-01-13 09:30 America/New_York (in 2 d 16 h "
            "30 min)");
}

TEST_F(SessionScheduleTest, WeekendIsAClosedDay) {
  const auto st = schedule_.status(utc("2025-01-11", 15, 0));  // Saturday
  EXPECT_EQ(st.state, MarketState::closed_day);
  EXPECT_EQ(st.closed_reason, "weekend");
  EXPECT_EQ(st.session.date, d("2025-01-13"));
}

TEST_F(SessionScheduleTest, HolidayMondayGoesToTuesday) {
  const std::int64_t now = utc("2025-01-20", 15, 0);  // MLK day, 10:00 EST
  const auto st = schedule_.status(now);
  EXPECT_EQ(st.state, MarketState::closed_day);
  EXPECT_EQ(st.closed_reason, "Martin Luther King Jr. Day");
  EXPECT_EQ(st.session.date, d("2025-01-21"));
  EXPECT_EQ(st.session.open_ms, utc("2025-01-21", 14, 30));
  EXPECT_EQ(schedule_.next_session(now).date, d("2025-01-21"));
  // The Friday before skips the holiday too.
  EXPECT_EQ(schedule_.next_session(utc("2025-01-17", 21, 0)).date, d("2025-01-21"));
}

TEST_F(SessionScheduleTest, DayAfterThanksgivingClosesAt1300) {
  const std::int64_t now = utc("2025-11-28", 0, 25);  // Thursday 2025-11-27 19:25 EST
  const auto st = schedule_.status(now);
  EXPECT_EQ(st.state, MarketState::closed_day);
  EXPECT_EQ(st.today, d("2025-11-27"));
  EXPECT_EQ(st.session.date, d("2025-11-28"));
  EXPECT_TRUE(st.session.early_close);
  EXPECT_EQ(st.session.close_minute, 13 * 60);
  EXPECT_EQ(st.session.close_ms, utc("2025-11-28", 18, 0));
  EXPECT_EQ(schedule_.describe(now),
            "market closed (Thanksgiving Day); next session opens Friday 2025-11-28 09:30 America/New_York "
            "(in 14 h 5 min), early close 13:00");

  EXPECT_EQ(schedule_.status(utc("2025-11-28", 17, 59, 59)).state, MarketState::open);
  EXPECT_EQ(schedule_.status(utc("2025-11-28", 18, 0)).state, MarketState::after_close);
  EXPECT_EQ(schedule_.describe(utc("2025-11-28", 17, 0)),
            "market open; closes 13:00 America/New_York (in 1 h 0 min) (early close)");
}

TEST_F(SessionScheduleTest, ConfiguredSessionIsNarrowedByEarlyClose) {
  SessionSchedule custom(calendar_, "10:00", "15:00");
  auto regular = custom.session_on(d("2025-11-26"));
  ASSERT_TRUE(regular.has_value());
  EXPECT_EQ(regular->open_ms, utc("2025-11-26", 15, 0));
  EXPECT_EQ(regular->close_ms, utc("2025-11-26", 20, 0));
  auto early = custom.session_on(d("2025-11-28"));
  ASSERT_TRUE(early.has_value());
  EXPECT_EQ(early->open_ms, utc("2025-11-28", 15, 0));
  EXPECT_EQ(early->close_ms, utc("2025-11-28", 18, 0));
  EXPECT_FALSE(custom.session_on(d("2025-11-27")).has_value());
}

TEST_F(SessionScheduleTest, DstSwitchWeeks) {
  // Spring: Friday 2025-03-07 is EST (close 21:00Z), Monday 2025-03-10 is EDT (open 13:30Z).
  const auto spring = schedule_.status(utc("2025-03-07", 21, 0));
  EXPECT_EQ(spring.state, MarketState::after_close);
  EXPECT_EQ(spring.session.date, d("2025-03-10"));
  EXPECT_EQ(spring.session.open_ms, utc("2025-03-10", 13, 30));
  EXPECT_EQ(spring.session.close_ms, utc("2025-03-10", 20, 0));
  EXPECT_EQ(schedule_.status(utc("2025-03-07", 20, 59)).state, MarketState::open);
  EXPECT_EQ(schedule_.status(utc("2025-03-10", 13, 29, 59)).state, MarketState::before_open);
  EXPECT_EQ(schedule_.status(utc("2025-03-10", 13, 30)).state, MarketState::open);
  // Sunday 2025-03-09 02:30 does not exist in New York; the schedule still answers.
  EXPECT_EQ(schedule_.status(utc("2025-03-09", 7, 30)).state, MarketState::closed_day);

  // Autumn: Friday 2025-10-31 is EDT (close 20:00Z), Monday 2025-11-03 is EST (open 14:30Z).
  const auto autumn = schedule_.status(utc("2025-10-31", 20, 0));
  EXPECT_EQ(autumn.state, MarketState::after_close);
  EXPECT_EQ(autumn.session.date, d("2025-11-03"));
  EXPECT_EQ(autumn.session.open_ms, utc("2025-11-03", 14, 30));
  EXPECT_EQ(autumn.session.close_ms, utc("2025-11-03", 21, 0));
  // 2025-11-02 01:30 happens twice in New York; both instants are a closed Sunday.
  EXPECT_EQ(schedule_.status(utc("2025-11-02", 5, 30)).state, MarketState::closed_day);
  EXPECT_EQ(schedule_.status(utc("2025-11-02", 6, 30)).state, MarketState::closed_day);
}

TEST_F(SessionScheduleTest, ExactOpenAndCloseBoundaries) {
  // Friday 2025-01-17, EST: 09:30:00 = 14:30:00Z, 16:00:00 = 21:00:00Z.
  const std::int64_t open = utc("2025-01-17", 14, 30), close = utc("2025-01-17", 21, 0);
  EXPECT_EQ(schedule_.status(open - 1).state, MarketState::before_open);
  EXPECT_EQ(schedule_.status(open).state, MarketState::open);  // the open is inside the session
  EXPECT_EQ(schedule_.status(close - 1).state, MarketState::open);
  EXPECT_EQ(schedule_.status(close).state, MarketState::after_close);  // the close is not

  const auto before = schedule_.status(open - 60'000);
  EXPECT_EQ(before.session.date, d("2025-01-17"));
  EXPECT_EQ(schedule_.describe(open - 60'000),
            "market opens today Friday 2025-01-17 09:30 America/New_York (in 1 min)");
  EXPECT_EQ(schedule_.status(open).session.open_ms, open);
  // While open, the next session is the following trading day (Monday is MLK day).
  EXPECT_EQ(schedule_.next_session(open).date, d("2025-01-21"));
  EXPECT_EQ(schedule_.next_session(open - 1).date, d("2025-01-17"));
}

TEST(SessionScheduleFormatTest, Countdown) {
  EXPECT_EQ(format_countdown(-5), "0 s");
  EXPECT_EQ(format_countdown(42'500), "42 s");
  EXPECT_EQ(format_countdown(5 * 60'000 + 59'000), "5 min");
  EXPECT_EQ(format_countdown((14 * 60 + 5) * 60'000LL), "14 h 5 min");
  EXPECT_EQ(format_countdown((50 * 60 + 1) * 60'000LL), "2 d 2 h 1 min");
}

}  // namespace
}  // namespace soi
