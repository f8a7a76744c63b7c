#include "utils/time_util.hpp"

#include <charconv>
#include <cstdio>

#include <date/tz.h>

namespace soi {
namespace {

const date::time_zone* new_york() {
  static const date::time_zone* tz = date::locate_zone("America/New_York");
  return tz;
}

bool parse_int(std::string_view s, int& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

}  // namespace

std::optional<Date> parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int y = 0, m = 0, d = 0;
  if (!parse_int(text.substr(0, 4), y) || !parse_int(text.substr(5, 2), m) || !parse_int(text.substr(8, 2), d))
    return std::nullopt;
  Date ymd{date::year{y}, date::month{static_cast<unsigned>(m)}, date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return ymd;
}

std::string format_date(Date d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                static_cast<unsigned>(d.day()));
  return buf;
}

std::int64_t ny_wall_to_utc_ms(Date d, int minutes_of_day) {
  auto local = date::local_days{d} + std::chrono::minutes{minutes_of_day};
  auto utc = new_york()->to_sys(local, date::choose::earliest);
  return std::chrono::duration_cast<std::chrono::milliseconds>(utc.time_since_epoch()).count();
}

Date ny_date_of_utc_ms(std::int64_t utc_ms) {
  date::sys_time<std::chrono::milliseconds> t{std::chrono::milliseconds{utc_ms}};
  auto local = new_york()->to_local(t);
  return Date{date::floor<date::days>(local)};
}

int ny_minutes_of_day(std::int64_t utc_ms) {
  date::sys_time<std::chrono::milliseconds> t{std::chrono::milliseconds{utc_ms}};
  auto local = new_york()->to_local(t);
  auto since_midnight = local - date::floor<date::days>(local);
  return static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(since_midnight).count());
}

std::int64_t now_utc_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Date today_ny() { return ny_date_of_utc_ms(now_utc_ms()); }

std::string format_utc_iso_ms(std::int64_t utc_ms) {
  date::sys_time<std::chrono::milliseconds> t{std::chrono::milliseconds{utc_ms}};
  return date::format("%FT%TZ", t);
}

std::string format_ny_rfc3339(std::int64_t utc_ms) {
  date::sys_seconds t{std::chrono::seconds{utc_ms / 1000}};
  auto zoned = date::make_zoned(new_york(), t);
  std::string s = date::format("%FT%T%z", zoned);  // ...-0500
  if (s.size() >= 5) s.insert(s.size() - 2, ":");
  return s;
}

std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fff][Z|+hh:mm|-hh:mm]
  if (text.size() < 19 || (text[10] != 'T' && text[10] != ' ')) return std::nullopt;
  auto d = parse_date(text.substr(0, 10));
  int hh = 0, mm = 0, ss = 0;
  if (!d || text[13] != ':' || text[16] != ':' || !parse_int(text.substr(11, 2), hh) ||
      !parse_int(text.substr(14, 2), mm) || !parse_int(text.substr(17, 2), ss))
    return std::nullopt;
  std::int64_t ms = 0;
  size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    size_t start = ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    std::string_view frac = text.substr(start, pos - start);
    int scale = 100;
    for (size_t i = 0; i < frac.size() && i < 3; ++i, scale /= 10) ms += (frac[i] - '0') * scale;
  }
  std::int64_t offset_min = 0;
  if (pos < text.size()) {
    char sign = text[pos];
    if (sign == 'Z' && pos + 1 == text.size()) {
    } else if ((sign == '+' || sign == '-') && text.size() == pos + 6 && text[pos + 3] == ':') {
      int oh = 0, om = 0;
      if (!parse_int(text.substr(pos + 1, 2), oh) || !parse_int(text.substr(pos + 4, 2), om)) return std::nullopt;
      offset_min = (oh * 60 + om) * (sign == '+' ? 1 : -1);
    } else {
      return std::nullopt;
    }
  }
  std::int64_t secs = std::chrono::duration_cast<std::chrono::seconds>(to_sys(*d).time_since_epoch()).count() +
                      hh * 3600 + mm * 60 + ss - offset_min * 60;
  return secs * 1000 + ms;
}

std::optional<int> parse_hh_mm(std::string_view text) {
  int h = 0, m = 0;
  if (text.size() != 5 || text[2] != ':' || !parse_int(text.substr(0, 2), h) || !parse_int(text.substr(3, 2), m) ||
      h > 23 || m > 59)
    return std::nullopt;
  return h * 60 + m;
}

}  // namespace soi
