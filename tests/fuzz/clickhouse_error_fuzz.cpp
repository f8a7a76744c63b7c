// ClickHouse error answers: any status and body give a one-line message of
// bounded length with the auth or storage category, and a code only when the
// body names a positive one.
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "sinks/clickhouse/clickhouse_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The first two bytes pick the HTTP status (100..999), the rest is the body.
  const long status = size >= 2 ? 100 + (data[0] * 256 + data[1]) % 900 : 500;
  const std::string_view body = size >= 2 ? soi::fuzz::as_text(data + 2, size - 2) : soi::fuzz::as_text(data, size);
  const soi::ClickHouseError error = soi::parse_clickhouse_error(status, body);
  soi::fuzz::check(!error.message.empty(), "clickhouse: empty message");
  soi::fuzz::check(error.message.size() <= 560, "clickhouse: message longer than one capped line");
  soi::fuzz::check(error.message.find('\n') == std::string::npos, "clickhouse: message spans lines");
  soi::fuzz::check(error.code >= 0, "clickhouse: negative code");
  soi::fuzz::check(error.category == soi::ErrorCategory::auth || error.category == soi::ErrorCategory::storage,
                   "clickhouse: category is neither auth nor storage");
  if (error.code == 0)
    soi::fuzz::check(error.message.rfind("HTTP ", 0) == 0, "clickhouse: no code, yet not an HTTP status message");
  return 0;
}
