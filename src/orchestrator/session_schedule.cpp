#include "orchestrator/session_schedule.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace soi {
namespace {

std::string hh_mm(int minute) { return fmt::format("{:02}:{:02}", minute / 60, minute % 60); }

std::string_view weekday_name(Date d) {
  static constexpr std::array<std::string_view, 7> kNames{"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                          "Thursday", "Friday", "Saturday"};
  return kNames[weekday_index(d)];
}

}  // namespace

std::string_view to_string(MarketState state) noexcept {
  switch (state) {
    case MarketState::before_open: return "before_open";
    case MarketState::open: return "open";
    case MarketState::after_close: return "after_close";
    case MarketState::closed_day: return "closed_day";
  }
  return "closed_day";
}

std::string format_countdown(std::int64_t ms) {
  const std::int64_t seconds = std::max<std::int64_t>(ms, 0) / 1000;
  if (seconds < 60) return fmt::format("{} s", seconds);
  const std::int64_t minutes = seconds / 60, d = minutes / 1440, h = minutes / 60 % 24, m = minutes % 60;
  if (d > 0) return fmt::format("{} d {} h {} min", d, h, m);
  if (h > 0) return fmt::format("{} h {} min", h, m);
  return fmt::format("{} min", m);
}

SessionSchedule::SessionSchedule(const MarketCalendar& calendar, int session_start_minute, int session_end_minute)
    : calendar_(calendar), start_minute_(session_start_minute), end_minute_(session_end_minute) {}

SessionSchedule::SessionSchedule(const MarketCalendar& calendar, const std::string& session_start,
                                 const std::string& session_end)
    : SessionSchedule(calendar, parse_hh_mm(session_start).value_or(kRegularOpenMinute),
                      parse_hh_mm(session_end).value_or(kRegularCloseMinute)) {}

std::optional<SessionWindow> SessionSchedule::session_on(Date d) const {
  const SessionHours hours = calendar_.session(d);
  if (!hours.is_trading_day) return std::nullopt;
  // Same rule as the backfill's session window: an exchange early close (or late open)
  // narrows the configured session, it never widens it.
  int start = start_minute_, end = end_minute_;
  if (hours.close_minute < kRegularCloseMinute) end = std::min(end, hours.close_minute);
  if (hours.open_minute > kRegularOpenMinute) start = std::max(start, hours.open_minute);
  SessionWindow w;
  w.date = d;
  w.open_minute = start;
  w.close_minute = end;
  // Through the tz database, so DST weeks get the right UTC instants.
  w.open_ms = ny_wall_to_utc_ms(d, start);
  w.close_ms = ny_wall_to_utc_ms(d, end);
  w.early_close = hours.close_minute < kRegularCloseMinute;
  w.note = hours.note;
  return w;
}

SessionWindow SessionSchedule::next_session(std::int64_t now_ms) const {
  Date d = ny_date_of_utc_ms(now_ms);
  if (auto today = session_on(d); today && today->open_ms > now_ms) return *today;
  for (;;) {  // the calendar always has a next trading day
    d = calendar_.next_trading_day(d);
    if (auto s = session_on(d)) return *s;
  }
}

ScheduleStatus SessionSchedule::status(std::int64_t now_ms) const {
  ScheduleStatus st;
  st.today = ny_date_of_utc_ms(now_ms);
  auto today = session_on(st.today);
  if (!today) {
    st.state = MarketState::closed_day;
    st.closed_reason = calendar_.session(st.today).note;
    if (st.closed_reason.empty()) st.closed_reason = "closed";
    st.session = next_session(now_ms);
  } else if (now_ms < today->open_ms) {
    st.state = MarketState::before_open;
    st.session = *today;
  } else if (now_ms < today->close_ms) {  // the close instant itself is after the session
    st.state = MarketState::open;
    st.session = *today;
  } else {
    st.state = MarketState::after_close;
    st.session = next_session(now_ms);
  }
  return st;
}

std::string SessionSchedule::describe(std::int64_t now_ms) const {
  const ScheduleStatus st = status(now_ms);
  const SessionWindow& s = st.session;
  constexpr std::string_view kZone = "America/New_York";
  const std::string early = s.early_close ? fmt::format(", early close {}", hh_mm(s.close_minute)) : "";
  const std::string opens = fmt::format("{} {} {} {} (in {})", weekday_name(s.date), format_date(s.date),
                                        hh_mm(s.open_minute), kZone, format_countdown(s.open_ms - now_ms));
  switch (st.state) {
    case MarketState::open:
      return fmt::format("market open; closes {} {} (in {}){}", hh_mm(s.close_minute), kZone,
                         format_countdown(s.close_ms - now_ms), s.early_close ? " (early close)" : "");
    case MarketState::before_open:
      return fmt::format("market opens today {}{}", opens, early);
    case MarketState::after_close:
      return fmt::format("market closed for the day; next session opens {}{}", opens, early);
    case MarketState::closed_day:
      return fmt::format("market closed ({}); next session opens {}{}", st.closed_reason, opens, early);
  }
  return {};
}

}  // namespace soi
