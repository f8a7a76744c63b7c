#include "sinks/clickhouse/clickhouse_error.hpp"

#include <charconv>

namespace soi {
namespace {

// Error codes of refused credentials: UNKNOWN_USER, WRONG_PASSWORD,
// REQUIRED_PASSWORD, IP_ADDRESS_NOT_ALLOWED, AUTHENTICATION_FAILED.
bool is_auth_code(int code) { return code == 192 || code == 193 || code == 194 || code == 195 || code == 516; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void strip_prefix(std::string_view& s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) == prefix) s.remove_prefix(prefix.size());
}

// The first line, without control characters, at most 500 bytes.
std::string one_line(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n' || c == '\r') break;
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
    if (out.size() >= 500) {
      out += "...";
      break;
    }
  }
  return out;
}

}  // namespace

ClickHouseError parse_clickhouse_error(long http_status, std::string_view body) {
  ClickHouseError error;
  std::string_view text = trim(body);
  constexpr std::string_view kCode = "Code: ";
  const std::size_t at = text.find(kCode);
  if (at != std::string_view::npos) {
    std::string_view rest = text.substr(at + kCode.size());
    int code = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), code);
    if (ec == std::errc() && code > 0) {
      error.code = code;
      rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
      strip_prefix(rest, ",");
      strip_prefix(rest, ".");
      rest = trim(rest);
      strip_prefix(rest, "e.displayText() = ");
      strip_prefix(rest, "DB::Exception: ");
      strip_prefix(rest, "DB::NetException: ");
      // 18.16 repeats the exception class at the end; newer versions add the version.
      if (const std::size_t what = rest.find(", e.what() = "); what != std::string_view::npos)
        rest = rest.substr(0, what);
      if (const std::size_t version = rest.rfind(" (version "); version != std::string_view::npos)
        rest = rest.substr(0, version);
      error.message = "Code: " + std::to_string(code) + ": " + one_line(trim(rest));
      error.category = is_auth_code(code) ? ErrorCategory::auth : ErrorCategory::storage;
      return error;
    }
  }
  const std::string line = one_line(text);
  error.message = "HTTP " + std::to_string(http_status) + (line.empty() ? std::string() : ": " + line);
  error.category = http_status == 401 ? ErrorCategory::auth : ErrorCategory::storage;
  return error;
}

}  // namespace soi
