// NYSE trading calendar: which days trade, and when the regular session opens
// and closes. Built-in rules cover every year; the market-status API's
// /v1/marketstatus/upcoming answer (when available) is layered on top, so a
// one-off closure announced by the exchange wins over the rules.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "utils/time_util.hpp"

namespace soi {

inline constexpr int kRegularOpenMinute = 9 * 60 + 30;  // 09:30 New York
inline constexpr int kRegularCloseMinute = 16 * 60;     // 16:00 New York
inline constexpr int kEarlyCloseMinute = 13 * 60;       // 13:00 New York

struct SessionHours {
  bool is_trading_day = false;
  int open_minute = kRegularOpenMinute;    // minutes after New York midnight
  int close_minute = kRegularCloseMinute;  // exclusive end of the session
  std::string note;                        // holiday or early-close name, if any
};

// One row of /v1/marketstatus/upcoming for NYSE.
struct CalendarException {
  Date date;
  std::string name;
  bool closed = true;                // false: early close
  std::optional<int> open_minute;    // early-close rows carry open/close
  std::optional<int> close_minute;
};

class MarketCalendar {
 public:
  // Rule-based NYSE calendar (holidays with weekend observance, Good Friday,
  // Juneteenth from 2022, early closes, one-off closures since 2001).
  MarketCalendar();

  void add_exception(const CalendarException& exception);

  SessionHours session(Date d) const;
  bool is_trading_day(Date d) const { return session(d).is_trading_day; }
  std::vector<Date> trading_days(Date from, Date to) const;  // inclusive
  // The n trading days strictly before `before`, oldest first.
  std::vector<Date> last_trading_days(Date before, int n) const;
  Date next_trading_day(Date after) const;  // strictly after

  // Session bounds as UTC epoch ms: [open, close).
  std::int64_t session_open_utc_ms(Date d) const;
  std::int64_t session_close_utc_ms(Date d) const;

  // The built-in rules alone (exposed for tests and the simulator).
  static SessionHours builtin_session(Date d);

 private:
  std::map<date::sys_days, CalendarException> exceptions_;
};

}  // namespace soi
