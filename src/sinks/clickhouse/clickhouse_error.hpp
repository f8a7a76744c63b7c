// What a ClickHouse server's error response means. Pure: no I/O, any thread.
//
// ClickHouse answers a failed request with an HTTP error status (500 for most
// errors; 18.16 sends 401 for a refused password, 400 for a syntax error, newer
// versions 403/404 too) and a text body naming the server's error code:
//   18.16:  "Code: 193, e.displayText() = DB::Exception: Wrong password for user soi, e.what() = DB::Exception"
//   23.x:   "Code: 516. DB::Exception: soi: Authentication failed: ... (AUTHENTICATION_FAILED) (version 23.8.1.1)"
// A body without a code (a proxy's page, an empty body) keeps the HTTP status.
#pragma once

#include <string>
#include <string_view>

#include "utils/error.hpp"

namespace soi {

struct ClickHouseError {
  int code = 0;            // the server's error code; 0 when the body names none
  std::string message;     // "Code: 193: Wrong password for user soi" / "HTTP 502: Bad Gateway"
  ErrorCategory category = ErrorCategory::storage;  // auth for refused credentials, else storage
};

ClickHouseError parse_clickhouse_error(long http_status, std::string_view body);

}  // namespace soi
