#include "simulator/market_status_endpoint.hpp"

#include <array>
#include <string>

#include "simulator/api_response.hpp"
#include "simulator/intraday_path.hpp"

namespace soi::sim {
namespace {

constexpr int kFxWeekendMinute = 17 * 60;  // FX closes Friday 17:00 and reopens Sunday 17:00 New York
constexpr int kUpcomingDays = 365;

std::string strip_suffix(std::string name, std::string_view suffix) {
  if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
    name.resize(name.size() - suffix.size());
  return name;
}

}  // namespace

SimResponse handle_market_status_now(const SimServices& services, const RequestScope& scope) {
  const Date d = ny_date_of_utc_ms(scope.now_ms);
  const int minute = ny_minutes_of_day(scope.now_ms);
  const SessionHours hours = services.calendar.session(d);
  std::string market = "closed";
  bool early_hours = false, after_hours = false;
  if (hours.is_trading_day) {
    const int after_end = std::min(hours.close_minute + kAfterHoursMinutes, kExtendedCloseMinute);
    if (minute >= hours.open_minute && minute < hours.close_minute) {
      market = "open";
    } else if (minute >= kExtendedOpenMinute && minute < hours.open_minute) {
      market = "extended-hours";
      early_hours = true;
    } else if (minute >= hours.close_minute && minute < after_end) {
      market = "extended-hours";
      after_hours = true;
    }
  }
  const unsigned wd = weekday_index(d);
  const bool fx_closed =
      wd == 6 || (wd == 5 && minute >= kFxWeekendMinute) || (wd == 0 && minute < kFxWeekendMinute);
  const char* indices = market == "open" ? "open" : "closed";

  JsonWriter w;
  w.begin_object();
  w.field("market", market).field("earlyHours", early_hours).field("afterHours", after_hours);
  w.field("serverTime", format_ny_rfc3339(scope.now_ms));
  w.key("exchanges").begin_object().field("nyse", market).field("nasdaq", market).field("otc", market).end_object();
  w.key("currencies").begin_object().field("fx", fx_closed ? "closed" : "open").field("crypto", "open").end_object();
  w.key("indicesGroups").begin_object();
  for (const char* group : {"s_and_p", "societe_generale", "cgi", "msci", "ftse_russell", "mstar", "mstarc", "cccy",
                            "nasdaq", "dow_jones"})
    w.field(group, indices);
  w.end_object();
  write_new_field(w, scope);
  w.end_object();
  return json_response(w.take());
}

SimResponse handle_market_status_upcoming(const SimServices& services, const RequestScope& scope) {
  const Date today = ny_date_of_utc_ms(scope.now_ms);
  JsonWriter w;
  w.begin_array();
  for (int offset = 0; offset <= kUpcomingDays; ++offset) {
    const Date d = add_days(today, offset);
    const SessionHours hours = services.calendar.session(d);
    const bool holiday = !hours.is_trading_day && hours.note != "weekend";
    const bool early_close = hours.is_trading_day && hours.close_minute < kRegularCloseMinute;
    if (!holiday && !early_close) continue;
    const std::string name = strip_suffix(hours.note, " (early close)");
    for (const char* exchange : {"NYSE", "NASDAQ", "OTC"}) {
      w.begin_object();
      w.field("exchange", exchange).field("name", name).field("date", format_date(d));
      w.field("status", holiday ? "closed" : "early-close");
      if (early_close) {
        w.field("open", format_utc_iso_ms(ny_wall_to_utc_ms(d, hours.open_minute)));
        w.field("close", format_utc_iso_ms(ny_wall_to_utc_ms(d, hours.close_minute)));
      }
      write_new_field(w, scope);
      w.end_object();
    }
  }
  w.end_array();
  return json_response(w.take());
}

}  // namespace soi::sim
