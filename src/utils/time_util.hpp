// Dates and instants. Trading days are America/New_York calendar dates; every
// instant on the wire and in storage is UTC epoch milliseconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <date/date.h>

namespace soi {

using Date = date::year_month_day;

std::optional<Date> parse_date(std::string_view text);  // strict YYYY-MM-DD
std::string format_date(Date d);                         // YYYY-MM-DD

// New York wall-clock time (date + minutes since midnight) -> UTC epoch ms.
std::int64_t ny_wall_to_utc_ms(Date d, int minutes_of_day);
// UTC epoch ms -> New York calendar date.
Date ny_date_of_utc_ms(std::int64_t utc_ms);
// UTC epoch ms -> minutes since New York midnight.
int ny_minutes_of_day(std::int64_t utc_ms);

std::int64_t now_utc_ms();
// Seconds elapsed since `start` on the steady clock.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
Date today_ny();

// "2025-01-17T14:30:00.000Z"
std::string format_utc_iso_ms(std::int64_t utc_ms);
// RFC 3339 with offset, e.g. "2025-01-17T10:15:02-05:00" (New York local time).
std::string format_ny_rfc3339(std::int64_t utc_ms);
// Parses RFC 3339 ("...Z" or "...+hh:mm", optional fraction) -> UTC ms.
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text);

// "HH:MM" -> minutes since midnight.
std::optional<int> parse_hh_mm(std::string_view text);

inline date::sys_days to_sys(Date d) { return date::sys_days{d}; }
inline Date add_days(Date d, int n) { return Date{to_sys(d) + date::days{n}}; }
inline unsigned weekday_index(Date d) { return date::weekday{to_sys(d)}.c_encoding(); }  // 0=Sun

}  // namespace soi
