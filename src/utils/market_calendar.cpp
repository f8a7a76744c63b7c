#include "utils/market_calendar.hpp"

#include <array>

namespace soi {
namespace {

using date::days;
using date::sys_days;

Date ymd(int y, unsigned m, unsigned d) { return Date{date::year{y}, date::month{m}, date::day{d}}; }

// n-th weekday (1-based) of a month; n = -1 for the last one.
Date nth_weekday(int y, unsigned m, unsigned wd, int n) {
  if (n > 0) {
    return Date{date::year{y} / date::month{m} / date::weekday{wd}[static_cast<unsigned>(n)]};
  }
  return Date{date::year{y} / date::month{m} / date::weekday{wd}[date::last]};
}

// Anonymous Gregorian algorithm for Easter Sunday.
Date easter(int y) {
  int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3;
  int h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
  int m = (a + 11 * h + 22 * l) / 451;
  int month = (h + l - 7 * m + 114) / 31, day = ((h + l - 7 * m + 114) % 31) + 1;
  return ymd(y, static_cast<unsigned>(month), static_cast<unsigned>(day));
}

// Saturday holidays are observed Friday, Sunday ones Monday.
Date observed(Date d) {
  unsigned wd = weekday_index(d);
  if (wd == 6) return add_days(d, -1);
  if (wd == 0) return add_days(d, 1);
  return d;
}

struct OneOff {
  int y;
  unsigned m, d;
  const char* name;
};
// Unscheduled full-day closures (NYSE).
constexpr std::array<OneOff, 10> kOneOffClosures{{
    {2001, 9, 11, "September 11"}, {2001, 9, 12, "September 11"}, {2001, 9, 13, "September 11"},
    {2001, 9, 14, "September 11"}, {2004, 6, 11, "Reagan Day of Mourning"}, {2007, 1, 2, "Ford Day of Mourning"},
    {2012, 10, 29, "Hurricane Sandy"}, {2012, 10, 30, "Hurricane Sandy"}, {2018, 12, 5, "Bush Day of Mourning"},
    {2025, 1, 9, "Carter Day of Mourning"},
}};

std::optional<std::string> holiday_name(Date d) {
  const int y = static_cast<int>(d.year());
  for (const auto& c : kOneOffClosures)
    if (ymd(c.y, c.m, c.d) == d) return c.name;
  // New Year's Day: observed Monday when on Sunday; NOT observed on Dec 31 when on Saturday.
  Date ny = ymd(y, 1, 1);
  if (weekday_index(ny) != 6 && observed(ny) == d) return "New Year's Day";
  if (nth_weekday(y, 1, 1, 3) == d) return "Martin Luther King Jr. Day";
  if (nth_weekday(y, 2, 1, 3) == d) return "Washington's Birthday";
  if (add_days(easter(y), -2) == d) return "Good Friday";
  if (nth_weekday(y, 5, 1, -1) == d) return "Memorial Day";
  if (y >= 2022 && observed(ymd(y, 6, 19)) == d) return "Juneteenth";
  if (observed(ymd(y, 7, 4)) == d) return "Independence Day";
  if (nth_weekday(y, 9, 1, 1) == d) return "Labor Day";
  if (nth_weekday(y, 11, 4, 4) == d) return "Thanksgiving Day";
  if (observed(ymd(y, 12, 25)) == d) return "Christmas Day";
  return std::nullopt;
}

std::optional<std::string> early_close_name(Date d) {
  const int y = static_cast<int>(d.year());
  // July 3 closes early when it is a weekday and not itself the observed holiday.
  Date jul3 = ymd(y, 7, 3);
  unsigned wd3 = weekday_index(jul3);
  if (jul3 == d && wd3 >= 1 && wd3 <= 4) return "Independence Day (early close)";
  if (add_days(nth_weekday(y, 11, 4, 4), 1) == d) return "Day after Thanksgiving (early close)";
  Date dec24 = ymd(y, 12, 24);
  unsigned wd24 = weekday_index(dec24);
  if (dec24 == d && wd24 >= 1 && wd24 <= 4) return "Christmas Eve (early close)";
  return std::nullopt;
}

}  // namespace

MarketCalendar::MarketCalendar() = default;

void MarketCalendar::add_exception(const CalendarException& exception) {
  exceptions_[to_sys(exception.date)] = exception;
}

SessionHours MarketCalendar::builtin_session(Date d) {
  SessionHours s;
  unsigned wd = weekday_index(d);
  if (wd == 0 || wd == 6) {
    s.note = "weekend";
    return s;
  }
  if (auto name = holiday_name(d)) {
    s.note = *name;
    return s;
  }
  s.is_trading_day = true;
  if (auto name = early_close_name(d)) {
    s.close_minute = kEarlyCloseMinute;
    s.note = *name;
  }
  return s;
}

SessionHours MarketCalendar::session(Date d) const {
  auto it = exceptions_.find(to_sys(d));
  if (it == exceptions_.end()) return builtin_session(d);
  const CalendarException& e = it->second;
  SessionHours s;
  s.note = e.name;
  if (e.closed) return s;
  s.is_trading_day = true;
  s.open_minute = e.open_minute.value_or(kRegularOpenMinute);
  s.close_minute = e.close_minute.value_or(kEarlyCloseMinute);
  return s;
}

std::vector<Date> MarketCalendar::trading_days(Date from, Date to) const {
  std::vector<Date> out;
  for (auto d = to_sys(from); d <= to_sys(to); d += days{1})
    if (is_trading_day(Date{d})) out.emplace_back(d);
  return out;
}

std::vector<Date> MarketCalendar::last_trading_days(Date before, int n) const {
  std::vector<Date> out;
  for (auto d = to_sys(before) - days{1}; static_cast<int>(out.size()) < n; d -= days{1})
    if (is_trading_day(Date{d})) out.insert(out.begin(), Date{d});
  return out;
}

Date MarketCalendar::next_trading_day(Date after) const {
  auto d = to_sys(after) + days{1};
  while (!is_trading_day(Date{d})) d += days{1};
  return Date{d};
}

std::int64_t MarketCalendar::session_open_utc_ms(Date d) const {
  return ny_wall_to_utc_ms(d, session(d).open_minute);
}

std::int64_t MarketCalendar::session_close_utc_ms(Date d) const {
  return ny_wall_to_utc_ms(d, session(d).close_minute);
}

}  // namespace soi
