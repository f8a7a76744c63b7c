#include "utils/market_calendar.hpp"

#include <gtest/gtest.h>

namespace soi {
namespace {

Date d(const char* text) { return *parse_date(text); }

TEST(MarketCalendarTest, WeekendsAndFixedHolidaysAreClosed) {
  MarketCalendar cal;
  EXPECT_FALSE(cal.is_trading_day(d("2025-01-04")));  // Saturday
  EXPECT_FALSE(cal.is_trading_day(d("2025-01-01")));  // New Year
  EXPECT_FALSE(cal.is_trading_day(d("2025-01-09")));  // Carter day of mourning
  EXPECT_FALSE(cal.is_trading_day(d("2025-01-20")));  // MLK
  EXPECT_FALSE(cal.is_trading_day(d("2025-04-18")));  // Good Friday
  EXPECT_FALSE(cal.is_trading_day(d("2025-06-19")));  // Juneteenth
  EXPECT_FALSE(cal.is_trading_day(d("2025-11-27")));  // Thanksgiving
  EXPECT_FALSE(cal.is_trading_day(d("2025-12-25")));
  EXPECT_TRUE(cal.is_trading_day(d("2025-01-02")));
  EXPECT_TRUE(cal.is_trading_day(d("2021-06-18")));   // before Juneteenth became a holiday
}

TEST(MarketCalendarTest, WeekendObservance) {
  MarketCalendar cal;
  EXPECT_FALSE(cal.is_trading_day(d("2021-07-05")));  // July 4 on Sunday -> Monday
  EXPECT_FALSE(cal.is_trading_day(d("2020-07-03")));  // July 4 on Saturday -> Friday
  EXPECT_TRUE(cal.is_trading_day(d("2021-12-31")));   // Jan 1 2022 Saturday: no Friday observance
  EXPECT_FALSE(cal.is_trading_day(d("2022-12-26")));  // Christmas on Sunday -> Monday
  EXPECT_FALSE(cal.is_trading_day(d("2023-01-02")));  // New Year on Sunday -> Monday
}

TEST(MarketCalendarTest, EarlyCloses) {
  MarketCalendar cal;
  EXPECT_EQ(cal.session(d("2025-11-28")).close_minute, kEarlyCloseMinute);  // day after Thanksgiving
  EXPECT_EQ(cal.session(d("2025-12-24")).close_minute, kEarlyCloseMinute);
  EXPECT_EQ(cal.session(d("2025-07-03")).close_minute, kEarlyCloseMinute);
  EXPECT_EQ(cal.session(d("2025-07-02")).close_minute, kRegularCloseMinute);
  // 13:00 New York = 18:00 UTC in November (EST).
  EXPECT_EQ(cal.session_close_utc_ms(d("2025-11-28")), 1764352800000);
}

TEST(MarketCalendarTest, SessionBoundsFollowDaylightSaving) {
  MarketCalendar cal;
  EXPECT_EQ(cal.session_open_utc_ms(d("2025-01-17")), 1737124200000);  // 14:30Z in winter
  EXPECT_EQ(cal.session_open_utc_ms(d("2025-07-17")), 1752759000000);  // 13:30Z in summer
}

TEST(MarketCalendarTest, ExceptionsFromTheApiWin) {
  MarketCalendar cal;
  cal.add_exception(CalendarException{d("2025-03-05"), "Unscheduled closure", true, std::nullopt, std::nullopt});
  EXPECT_FALSE(cal.is_trading_day(d("2025-03-05")));
  cal.add_exception(CalendarException{d("2025-03-06"), "Early", false, std::nullopt, 12 * 60});
  EXPECT_TRUE(cal.is_trading_day(d("2025-03-06")));
  EXPECT_EQ(cal.session(d("2025-03-06")).close_minute, 12 * 60);
}

TEST(MarketCalendarTest, TradingDayRanges) {
  MarketCalendar cal;
  auto days = cal.trading_days(d("2025-01-01"), d("2025-01-10"));
  ASSERT_EQ(days.size(), 6u);  // 2,3,6,7,8,10 (9th closed)
  EXPECT_EQ(format_date(days.front()), "2025-01-02");
  auto last = cal.last_trading_days(d("2025-01-06"), 3);
  ASSERT_EQ(last.size(), 3u);
  EXPECT_EQ(format_date(last[0]), "2024-12-31");
  EXPECT_EQ(format_date(last[2]), "2025-01-03");
  EXPECT_EQ(format_date(cal.next_trading_day(d("2025-01-08"))), "2025-01-10");
}

TEST(TimeUtilTest, ParsesAndFormats) {
  EXPECT_FALSE(parse_date("2025-02-30"));
  EXPECT_FALSE(parse_date("2025-1-02"));
  EXPECT_EQ(parse_rfc3339_ms("2025-01-17T10:15:02-05:00"), 1737126902000);
  EXPECT_EQ(parse_rfc3339_ms("2025-11-28T18:00:00.000Z"), 1764352800000);
  EXPECT_EQ(format_utc_iso_ms(1737124200000), "2025-01-17T14:30:00.000Z");
  EXPECT_EQ(format_ny_rfc3339(1737126902000), "2025-01-17T10:15:02-05:00");
  EXPECT_EQ(ny_minutes_of_day(1737124200000), 570);
  EXPECT_EQ(format_date(ny_date_of_utc_ms(1737090000000)), "2025-01-17");
  EXPECT_EQ(parse_hh_mm("09:30"), 570);
  EXPECT_FALSE(parse_hh_mm("24:00"));
}

}  // namespace
}  // namespace soi
