#include "simulator/request_params.hpp"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace soi::sim {

int parse_limit(const QueryParams& params, int fallback, int max) {
  const auto text = params.get("limit");
  if (!text) return fallback;
  long long value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc{} || end != text->data() + text->size() || value < 1)
    throw BadRequest(fmt::format("Invalid value for 'limit': '{}' (an integer between 1 and {})", *text, max));
  return value > max ? max : static_cast<int>(value);
}

bool parse_bool(const QueryParams& params, std::string_view key, bool fallback) {
  const auto text = params.get(key);
  if (!text) return fallback;
  if (*text == "true") return true;
  if (*text == "false") return false;
  throw BadRequest(fmt::format("Invalid value for '{}': '{}' (true or false)", key, *text));
}

std::string parse_choice(const QueryParams& params, std::string_view key, std::string_view fallback,
                         std::initializer_list<std::string_view> allowed) {
  const auto text = params.get(key);
  if (!text) return std::string(fallback);
  for (auto a : allowed)
    if (*text == a) return std::string(a);
  std::string list;
  for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  throw BadRequest(fmt::format("Invalid value for '{}': '{}' (one of: {})", key, *text, list));
}

Date parse_date_value(std::string_view key, std::string_view text) {
  if (auto d = parse_date(text)) return *d;
  throw BadRequest(fmt::format("Invalid value for '{}': '{}' (a date as YYYY-MM-DD)", key, text));
}

double parse_number_value(std::string_view key, std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value))
    throw BadRequest(fmt::format("Invalid value for '{}': '{}' (a number)", key, text));
  return value;
}

}  // namespace soi::sim
