// URL handling for the simulator: request-target splitting, percent-decoding of
// path segments and query values, and re-encoding for next_url/cursor strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace soi::sim {

// "%3A" -> ":"; with plus_as_space (query strings) "+" -> " ". Invalid escapes
// are kept literally, as lenient servers do.
std::string percent_decode(std::string_view text, bool plus_as_space);
// Keeps RFC 3986 unreserved characters, escapes everything else.
std::string percent_encode(std::string_view text);
// Like percent_encode but keeps ':' (legal in a path segment), so next_url shows
// /v2/aggs/ticker/O:SPY.../ the way the real service writes it.
std::string percent_encode_segment(std::string_view text);

struct SplitTarget {
  std::string_view path;
  std::string_view query;  // without '?'
};
SplitTarget split_target(std::string_view target);

// "/v2/aggs/ticker/I%3AVIX" -> {"v2", "aggs", "ticker", "I:VIX"}; empty segments dropped.
std::vector<std::string> split_path(std::string_view path);

// Decoded query parameters in request order. Repeated keys: the last one wins.
class QueryParams {
 public:
  QueryParams() = default;
  static QueryParams parse(std::string_view query);

  std::optional<std::string_view> get(std::string_view key) const;
  bool has(std::string_view key) const { return get(key).has_value(); }
  void set(std::string key, std::string value);
  void erase(std::string_view key);
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

  // "a=1&b=x%20y" (percent-encoded, request order).
  std::string encode() const;

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

}  // namespace soi::sim
