// When is the market open? The stream uses this to know when to connect, when
// to commit the day and stop, and `soi status` to explain an idle stream.
//
// Pure functions of an injected `now` (UTC ms) over the MarketCalendar
// (weekends, holidays, one-off closures, early closes, announced exceptions)
// and the configured session_start/session_end: nothing here sleeps or reads
// the clock, so every boundary is testable.
#pragma once

#include <cstdint>
#include <string>

#include "utils/market_calendar.hpp"

namespace soi {

enum class MarketState {
  before_open,  // a trading day, before its session
  open,         // inside [open, close)
  after_close,  // a trading day, at or after its close
  closed_day,   // weekend, holiday or one-off closure
};

std::string_view to_string(MarketState state) noexcept;

struct SessionWindow {
  Date date;
  std::int64_t open_ms = 0;   // UTC ms, inclusive
  std::int64_t close_ms = 0;  // UTC ms, exclusive
  int open_minute = 0;        // New York wall clock, minutes after midnight
  int close_minute = 0;
  bool early_close = false;   // the exchange closes before the regular 16:00
  std::string note;           // the calendar's note, e.g. "Day after Thanksgiving (early close)"
};

struct ScheduleStatus {
  MarketState state = MarketState::closed_day;
  Date today;                 // New York date of `now`
  std::string closed_reason;  // closed_day: "weekend", holiday name, ...
  SessionWindow session;      // open: the current session; otherwise the next one
};

class SessionSchedule {
 public:
  // session_start/end: the configured regular session (minutes after New York midnight).
  explicit SessionSchedule(const MarketCalendar& calendar, int session_start_minute = kRegularOpenMinute,
                           int session_end_minute = kRegularCloseMinute);
  // From the settings' "HH:MM" strings (config validation already checked them;
  // an unparseable value falls back to the regular session).
  SessionSchedule(const MarketCalendar& calendar, const std::string& session_start, const std::string& session_end);

  // The session of day `d`; nullopt when the market does not trade that day.
  std::optional<SessionWindow> session_on(Date d) const;
  ScheduleStatus status(std::int64_t now_ms) const;
  // The first session opening strictly after `now` (tomorrow's when the market is open now).
  SessionWindow next_session(std::int64_t now_ms) const;
  // One line for people, e.g. "market closed (Thanksgiving Day); next session opens Friday
  // 2025-11-28 09:30 America/New_York (in 14 h 5 min), early close 13:00".
  std::string describe(std::int64_t now_ms) const;

 private:
  const MarketCalendar& calendar_;
  int start_minute_;
  int end_minute_;
};

// "14 h 5 min", "2 d 3 h 0 min", "5 min", "42 s": a countdown for humans.
std::string format_countdown(std::int64_t ms);

}  // namespace soi
