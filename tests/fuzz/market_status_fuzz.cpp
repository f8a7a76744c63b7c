// Market status parsers: /v1/marketstatus/now (serverTime) and
// /v1/marketstatus/upcoming (the exchange calendar): a value or a SoiError.
#include <cstdint>

#include "data_sources/market_status_client.hpp"
#include "fuzz_support.hpp"
#include "utils/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = soi::fuzz::as_text(data, size);
  try {
    soi::parse_server_time(body);
  } catch (const soi::SoiError&) {
  }
  try {
    for (const soi::CalendarException& e : soi::parse_upcoming_holidays(body))
      soi::fuzz::check(e.date.ok(), "upcoming: kept an invalid date");
  } catch (const soi::SoiError&) {
  }
  return 0;
}
