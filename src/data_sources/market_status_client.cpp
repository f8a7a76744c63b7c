#include "data_sources/market_status_client.hpp"

#include <simdjson.h>

#include "monitoring/logging.hpp"

namespace soi {

std::int64_t parse_server_time(std::string_view body) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(body);
  simdjson::ondemand::document doc;
  std::string_view text;
  if (parser.iterate(padded).get(doc) || doc["serverTime"].get_string().get(text))
    throw SoiError(ErrorCategory::parse, "market status now: expected an object with a serverTime string",
                   ErrorContext{.source = "clock"});
  const std::optional<std::int64_t> ms = parse_rfc3339_ms(text);
  if (!ms)
    throw SoiError(ErrorCategory::parse, "market status now: serverTime '" + std::string(text) + "' is not RFC 3339",
                   ErrorContext{.source = "clock"});
  return *ms;
}

std::vector<CalendarException> parse_upcoming_holidays(std::string_view body) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(body);
  simdjson::ondemand::document doc;
  simdjson::ondemand::array rows;
  if (parser.iterate(padded).get(doc) || doc.get_array().get(rows))
    throw SoiError(ErrorCategory::parse, "market status upcoming: expected a JSON array");
  std::vector<CalendarException> out;
  for (auto row_value : rows) {
    simdjson::ondemand::object row;
    if (row_value.get_object().get(row)) throw SoiError(ErrorCategory::parse, "market status upcoming: bad row");
    std::string exchange, name, date_text, status, open_text, close_text;
    for (auto field : row) {
      std::string_view key, value;
      if (field.unescaped_key().get(key)) throw SoiError(ErrorCategory::parse, "market status upcoming: bad key");
      if (field.value().get_string().get(value)) continue;
      if (key == "exchange") exchange = value;
      else if (key == "name") name = value;
      else if (key == "date") date_text = value;
      else if (key == "status") status = value;
      else if (key == "open") open_text = value;
      else if (key == "close") close_text = value;
    }
    if (exchange != "NYSE") continue;
    auto d = parse_date(date_text);
    if (!d) throw SoiError(ErrorCategory::parse, "market status upcoming: bad date '" + date_text + "'");
    CalendarException e;
    e.date = *d;
    e.name = name;
    e.closed = status != "early-close";
    if (auto ms = parse_rfc3339_ms(open_text)) e.open_minute = ny_minutes_of_day(*ms);
    if (auto ms = parse_rfc3339_ms(close_text)) e.close_minute = ny_minutes_of_day(*ms);
    out.push_back(std::move(e));
  }
  return out;
}

bool apply_market_status_calendar(RestClient& client, MarketCalendar& calendar) {
  try {
    HttpResponse r = client.get("/v1/marketstatus/upcoming", ErrorContext{.source = "calendar"});
    auto rows = parse_upcoming_holidays(r.body);
    for (const auto& e : rows) calendar.add_exception(e);
    exec_log().info("calendar: {} NYSE exceptions from the market status API", rows.size());
    return true;
  } catch (const SoiError& e) {
    if (e.category() == ErrorCategory::auth) throw;  // a bad key fails everything else too: say so now
    exec_log().warn("calendar: market status API unavailable ({}); using the built-in NYSE calendar", e.what());
    return false;
  }
}

}  // namespace soi
