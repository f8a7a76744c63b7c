// Reads the exchange calendar from /v1/marketstatus/upcoming (holidays and
// early closes the exchange has announced) and layers it on the built-in NYSE
// rules. The API only lists upcoming days, so history relies on the rules.
#pragma once

#include <string>
#include <vector>

#include "data_sources/rest_client.hpp"
#include "utils/market_calendar.hpp"

namespace soi {

// serverTime of a /v1/marketstatus/now body ("2025-01-17T10:15:02-05:00", an
// offset or Z, optional fraction) as UTC ms. Throws SoiError(parse).
std::int64_t parse_server_time(std::string_view body);

// Parses the upcoming-holidays array; keeps NYSE rows. Throws SoiError(parse).
std::vector<CalendarException> parse_upcoming_holidays(std::string_view body);

// Fetches and applies the upcoming calendar. Returns false (and logs a warning)
// when the API cannot be reached: the built-in calendar then stands alone.
bool apply_market_status_calendar(RestClient& client, MarketCalendar& calendar);

}  // namespace soi
