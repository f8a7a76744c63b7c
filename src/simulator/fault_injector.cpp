#include "simulator/fault_injector.hpp"

#include <algorithm>
#include <charconv>

#include "simulator/sim_random.hpp"
#include "utils/error.hpp"

namespace soi::sim {
namespace {

constexpr std::array<std::pair<FaultKind, std::string_view>, kFaultKindCount> kKinds{{
    {FaultKind::rate_limit, "rate_limit"},
    {FaultKind::server_error, "server_error"},
    {FaultKind::slow, "slow"},
    {FaultKind::truncate, "truncate"},
    {FaultKind::malformed, "malformed"},
    {FaultKind::drop, "drop"},
    {FaultKind::new_field, "new_field"},
    {FaultKind::bad_record, "bad_record"},
    {FaultKind::ws_refuse_auth, "ws_refuse_auth"},
    {FaultKind::ws_max_connections, "ws_max_connections"},
    {FaultKind::ws_close, "ws_close"},
    {FaultKind::ws_stall, "ws_stall"},
    {FaultKind::ws_malformed, "ws_malformed"},
    {FaultKind::ws_unknown_event, "ws_unknown_event"},
    {FaultKind::ws_late, "ws_late"},
}};

[[noreturn]] void invalid(std::string_view spec, const std::string& why) {
  throw SoiError(ErrorCategory::config,
                 "invalid fault spec '" + std::string(spec) + "': " + why +
                     " (grammar: kind[:key=value]*, kinds: rate_limit, server_error, slow, truncate, malformed, "
                     "drop, new_field, bad_record, ws_refuse_auth, ws_max_connections, ws_close, ws_stall, "
                     "ws_malformed, ws_unknown_event, ws_late; keys: first=N, every=N, prob=P, path=SUBSTR, "
                     "retry_after=S, status=500|502|503|504, delay_ms=MS; ws stream kinds: at=HH:MM[:SS], "
                     "every_s=N, mode=close|drop, duration_ms=MS, lag_s=S)",
                 ErrorContext{"simulator", "", "", ""});
}

template <typename T>
T parse_number(std::string_view spec, std::string_view key, std::string_view value) {
  T out{};
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc{} || end != value.data() + value.size())
    invalid(spec, "'" + std::string(key) + "' needs a number, got '" + std::string(value) + "'");
  return out;
}

// "HH:MM" or "HH:MM:SS" -> seconds after midnight.
std::optional<int> parse_time_of_day(std::string_view v) {
  const auto two = [](std::string_view t) -> std::optional<int> {
    if (t.size() != 2 || t[0] < '0' || t[0] > '9' || t[1] < '0' || t[1] > '9') return std::nullopt;
    return (t[0] - '0') * 10 + (t[1] - '0');
  };
  if (v.size() != 5 && v.size() != 8) return std::nullopt;
  if (v[2] != ':' || (v.size() == 8 && v[5] != ':')) return std::nullopt;
  const auto h = two(v.substr(0, 2)), m = two(v.substr(3, 2));
  const auto s = v.size() == 8 ? two(v.substr(6, 2)) : std::optional<int>(0);
  if (!h || !m || !s || *h > 23 || *m > 59 || *s > 59) return std::nullopt;
  return *h * 3600 + *m * 60 + *s;
}

// Splits on ':' but glues a token without '=' back onto the previous value, so
// path=/v2/aggs/ticker/I:VIX keeps its colon.
std::vector<std::string> split_tokens(std::string_view text) {
  std::vector<std::string> tokens;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(':', start);
    if (end == std::string_view::npos) end = text.size();
    std::string token(text.substr(start, end - start));
    if (tokens.size() > 1 && token.find('=') == std::string::npos) {
      tokens.back() += ":" + token;
    } else {
      tokens.push_back(std::move(token));
    }
    start = end + 1;
  }
  return tokens;
}

}  // namespace

std::string_view to_string(FaultKind kind) {
  for (const auto& [k, name] : kKinds)
    if (k == kind) return name;
  return "unknown";
}

FaultSpec parse_fault_spec(std::string_view text) {
  if (text.empty()) invalid(text, "empty spec");
  const auto tokens = split_tokens(text);
  FaultSpec spec;
  spec.text = std::string(text);
  bool known = false;
  for (const auto& [kind, name] : kKinds) {
    if (tokens[0] == name) {
      spec.kind = kind;
      known = true;
    }
  }
  if (!known) invalid(text, "unknown fault kind '" + tokens[0] + "'");
  for (std::size_t i = 1; i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    const auto eq = token.find('=');
    if (eq == std::string::npos || eq == 0) invalid(text, "expected key=value, got '" + token + "'");
    const std::string key = token.substr(0, eq);
    const std::string_view value = std::string_view(token).substr(eq + 1);
    if (key == "first") {
      spec.first = parse_number<std::uint64_t>(text, key, value);
    } else if (key == "every") {
      spec.every = parse_number<std::uint64_t>(text, key, value);
      if (*spec.every == 0) invalid(text, "every must be >= 1");
    } else if (key == "prob") {
      spec.prob = parse_number<double>(text, key, value);
      if (!(*spec.prob >= 0.0 && *spec.prob <= 1.0)) invalid(text, "prob must be between 0 and 1");
    } else if (key == "path") {
      if (value.empty()) invalid(text, "path needs a substring");
      spec.path = std::string(value);
    } else if (key == "retry_after" && spec.kind == FaultKind::rate_limit) {
      spec.retry_after_s = parse_number<int>(text, key, value);
      if (spec.retry_after_s < 0) invalid(text, "retry_after must be >= 0");
    } else if (key == "status" && spec.kind == FaultKind::server_error) {
      spec.status = parse_number<int>(text, key, value);
      if (spec.status != 500 && spec.status != 502 && spec.status != 503 && spec.status != 504)
        invalid(text, "status must be 500, 502, 503 or 504");
    } else if (key == "delay_ms" && spec.kind == FaultKind::slow) {
      spec.delay_ms = parse_number<int>(text, key, value);
      if (spec.delay_ms < 0) invalid(text, "delay_ms must be >= 0");
    } else if (key == "at" && is_ws_stream_fault(spec.kind)) {
      spec.at_s = parse_time_of_day(value);
      if (!spec.at_s) invalid(text, "at needs a New York time HH:MM or HH:MM:SS, got '" + std::string(value) + "'");
    } else if (key == "every_s" && is_ws_stream_fault(spec.kind)) {
      spec.every_s = parse_number<int>(text, key, value);
      if (*spec.every_s < 1) invalid(text, "every_s must be >= 1");
    } else if (key == "mode" && spec.kind == FaultKind::ws_close) {
      if (value != "close" && value != "drop") invalid(text, "mode must be close or drop");
      spec.drop_connection = value == "drop";
    } else if (key == "duration_ms" && spec.kind == FaultKind::ws_stall) {
      spec.duration_ms = parse_number<int>(text, key, value);
      if (spec.duration_ms < 0) invalid(text, "duration_ms must be >= 0");
    } else if (key == "lag_s" && spec.kind == FaultKind::ws_late) {
      spec.lag_s = parse_number<int>(text, key, value);
      if (spec.lag_s < 1) invalid(text, "lag_s must be >= 1");
    } else {
      invalid(text, "key '" + key + "' is not valid for " + tokens[0]);
    }
  }
  if (is_ws_stream_fault(spec.kind) && !spec.at_s && !spec.every_s) spec.every_s = 60;
  return spec;
}

FaultInjector::FaultInjector(std::vector<FaultSpec> specs, std::uint64_t seed)
    : specs_(std::move(specs)), seed_(seed), matches_(new std::atomic<std::uint64_t>[specs_.size()]) {
  for (std::size_t i = 0; i < specs_.size(); ++i) matches_[i].store(0);
}

bool FaultInjector::fires(std::size_t index, std::uint64_t match) const {
  const FaultSpec& s = specs_[index];
  if (s.first && match > *s.first) return false;
  if (s.every && match % *s.every != 0) return false;
  if (s.prob) {
    // Seeded per (spec, match number): reruns with the same seed fail the same requests.
    const double u = unit_from_hash(hash_combine(hash_combine(seed_, index + 1), match));
    if (u >= *s.prob) return false;
  }
  return true;
}

FaultPlan FaultInjector::decide(std::string_view path) {
  FaultPlan plan;
  const bool data_endpoint = !path.starts_with("/_sim/");
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    const FaultSpec& s = specs_[i];
    if (is_ws_fault(s.kind)) continue;
    const bool matches = s.path.empty() ? data_endpoint : path.find(s.path) != std::string_view::npos;
    if (!matches) continue;
    const std::uint64_t match = matches_[i].fetch_add(1) + 1;  // 1-based
    if (!fires(i, match)) continue;
    switch (s.kind) {
      case FaultKind::rate_limit:
        if (plan.error_status == 0) plan.error_status = 429, plan.retry_after_s = s.retry_after_s;
        break;
      case FaultKind::server_error:
        if (plan.error_status == 0) plan.error_status = s.status;
        break;
      case FaultKind::slow: plan.delay_ms = std::max(plan.delay_ms, s.delay_ms); break;
      case FaultKind::truncate: plan.truncate = true; break;
      case FaultKind::malformed: plan.malformed = true; break;
      case FaultKind::drop: plan.drop = true; break;
      case FaultKind::new_field: plan.new_field = true; break;
      case FaultKind::bad_record: plan.bad_record = true; break;
      default: break;
    }
  }
  return plan;
}

std::vector<FaultSpec> FaultInjector::decide_ws(std::string_view path) {
  std::vector<FaultSpec> fired;
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    const FaultSpec& s = specs_[i];
    if (!is_ws_fault(s.kind)) continue;
    if (!s.path.empty() && path.find(s.path) == std::string_view::npos) continue;
    const std::uint64_t match = matches_[i].fetch_add(1) + 1;
    if (fires(i, match)) fired.push_back(s);
  }
  return fired;
}

}  // namespace soi::sim
