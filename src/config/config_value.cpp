#include "config/config_value.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <type_traits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "utils/ascii.hpp"

namespace soi::config {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

// Whole text must be a decimal integer: "3.0", "1e3", "0x10" and "3 apples" are refused.
// Returns the value through `out` (always written) rather than an optional: GCC's
// folding of optional's engaged check trips valgrind's uninitialised-value check.
bool parse_integer(std::string_view text, long long& out) {
  out = 0;
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

bool integer_in(std::string_view text, const Allowed& allowed, long long lo, long long hi, long long& out) {
  if (!parse_integer(text, out) || out < lo || out > hi) return false;
  return allowed.kind != AllowedKind::range ||
         (static_cast<double>(out) >= allowed.min && static_cast<double>(out) <= allowed.max);
}

bool parse_number(std::string_view text, double& out) {
  out = 0;
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size() && std::isfinite(out);
}

// "true or false" is what we document; the YAML 1.1 spellings are accepted too
// because users copy them from other YAML files.
std::optional<bool> parse_bool(std::string_view text) {
  const std::string v = ascii_lower(text);
  if (v == "true" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "no" || v == "off") return false;
  return std::nullopt;
}

bool valid_clock_time(std::string_view t) {
  auto digit = [&](size_t i) { return std::isdigit(static_cast<unsigned char>(t[i])) != 0; };
  if (t.size() != 5 || t[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4)) return false;
  const int hours = (t[0] - '0') * 10 + (t[1] - '0');
  const int minutes = (t[3] - '0') * 10 + (t[4] - '0');
  return hours < 24 && minutes < 60;
}

// One of `schemes` ("http://", "https://") followed by a host.
bool valid_url(std::string_view u, std::initializer_list<std::string_view> schemes) {
  const auto scheme =
      std::find_if(schemes.begin(), schemes.end(), [&](std::string_view s) { return u.starts_with(s); });
  if (scheme == schemes.end()) return false;
  const std::string_view rest = u.substr(scheme->size());
  if (rest.empty() || rest.front() == '/' || rest.front() == ':') return false;  // no host
  return std::none_of(u.begin(), u.end(), [](unsigned char c) { return std::isspace(c) || std::iscntrl(c); });
}

bool valid_ticker(std::string_view t) {
  if (t.empty() || t.size() > 10) return false;
  return std::all_of(t.begin(), t.end(),
                     [](unsigned char c) { return std::isupper(c) || std::isdigit(c) || c == '.'; });
}

// Checks string-shaped rules; numbers are range-checked where they are parsed.
bool allowed_string(const Allowed& allowed, std::string_view v) {
  switch (allowed.kind) {
    case AllowedKind::non_empty: return !v.empty();
    case AllowedKind::one_of:
      return std::find(allowed.choices.begin(), allowed.choices.end(), v) != allowed.choices.end();
    case AllowedKind::url: return valid_url(v, {"http://", "https://"});
    case AllowedKind::ws_url: return v.empty() || valid_url(v, {"ws://", "wss://"});
    case AllowedKind::clock_time: return valid_clock_time(v);
    case AllowedKind::ticker: return valid_ticker(v);
    default: return true;
  }
}

bool in_range(const Allowed& allowed, double v) {
  return allowed.kind != AllowedKind::range || (v >= allowed.min && v <= allowed.max);
}

std::string problem(const SettingSpec& spec, std::string_view got) {
  return fmt::format("expected {}, got {}", spec.expectation(), quote_for_message(got));
}

// Base URLs are joined with "/v2/aggs/..." later; a trailing slash would double it.
std::string normalized(const Allowed& allowed, std::string_view v) {
  std::string out(v);
  if (allowed.kind == AllowedKind::url || allowed.kind == AllowedKind::ws_url)
    while (out.size() > 1 && out.back() == '/' && !out.ends_with("://")) out.pop_back();
  return out;
}

std::string quote_plain(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

}  // namespace

std::string quote_for_message(std::string_view text) {
  constexpr size_t kMax = 60;
  if (text.size() <= kMax) return quote_plain(text);
  return quote_plain(text.substr(0, kMax)) + "...";
}

std::optional<std::string> assign_scalar(const SettingSpec& spec, Config& config, std::string_view raw) {
  const std::string_view text = trim(raw);
  FieldRef ref = spec.field(config);
  if (auto* s = std::get_if<std::string*>(&ref)) {
    if (!allowed_string(spec.allowed, text)) return problem(spec, text);
    **s = normalized(spec.allowed, text);
  } else if (auto* i = std::get_if<int*>(&ref)) {
    long long v = 0;
    if (!integer_in(text, spec.allowed, INT32_MIN, INT32_MAX, v)) return problem(spec, text);
    **i = static_cast<int>(v);
  } else if (auto* u = std::get_if<unsigned*>(&ref)) {
    long long v = 0;
    if (!integer_in(text, spec.allowed, 0, UINT32_MAX, v)) return problem(spec, text);
    **u = static_cast<unsigned>(v);
  } else if (auto* d = std::get_if<double*>(&ref)) {
    double v = 0;
    if (!parse_number(text, v) || !in_range(spec.allowed, v)) return problem(spec, text);
    **d = v;
  } else if (auto* b = std::get_if<bool*>(&ref)) {
    auto v = parse_bool(text);
    if (!v) return problem(spec, text);
    **b = *v;
  } else {
    return fmt::format("expected {}, got a single value {}", spec.expectation(), quote_for_message(text));
  }
  return std::nullopt;
}

std::optional<std::string> assign_list(const SettingSpec& spec, Config& config,
                                       const std::vector<std::string>& items) {
  FieldRef ref = spec.field(config);
  auto item_problem = [&](size_t index, std::string_view got) {
    return fmt::format("expected {}, got {} (item {})", spec.expectation(), quote_for_message(got), index + 1);
  };
  if (auto* ints = std::get_if<std::vector<int>*>(&ref)) {
    std::vector<int> parsed;
    for (size_t n = 0; n < items.size(); ++n) {
      const std::string_view text = trim(items[n]);
      long long v = 0;
      if (!integer_in(text, spec.allowed, INT32_MIN, INT32_MAX, v)) return item_problem(n, text);
      parsed.push_back(static_cast<int>(v));
    }
    **ints = std::move(parsed);
  } else if (auto* strings = std::get_if<std::vector<std::string>*>(&ref)) {
    std::vector<std::string> parsed;
    for (size_t n = 0; n < items.size(); ++n) {
      const std::string_view text = trim(items[n]);
      if (!allowed_string(spec.allowed, text)) return item_problem(n, text);
      parsed.push_back(normalized(spec.allowed, text));
    }
    **strings = std::move(parsed);
  } else {
    return fmt::format("expected {}, got a list", spec.expectation());
  }
  return std::nullopt;
}

std::string format_value(const SettingSpec& spec, const Config& config) {
  Config copy = config;  // the accessors hand out mutable pointers; never write through them here
  FieldRef ref = spec.field(copy);
  return std::visit(
      [](auto* field) -> std::string {
        using T = std::remove_pointer_t<decltype(field)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return quote_plain(*field);
        } else if constexpr (std::is_same_v<T, bool>) {
          return *field ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::vector<int>>) {
          return fmt::format("[{}]", fmt::join(*field, ", "));
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          std::string out;
          for (const auto& item : *field) out += (out.empty() ? "" : ", ") + quote_plain(item);
          return "[" + out + "]";
        } else if constexpr (std::is_same_v<T, double>) {
          // "2.0", not "2": shows the setting takes fractions, as the YAML files write it.
          std::string text = fmt::format("{}", *field);
          if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
          return text;
        } else {
          return fmt::format("{}", *field);
        }
      },
      ref);
}

}  // namespace soi::config
