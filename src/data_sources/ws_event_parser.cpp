#include "data_sources/ws_event_parser.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "data_sources/json_number.hpp"

namespace soi {
namespace {

constexpr std::size_t kExampleLimit = 120;

std::string_view shorten(std::string_view s) { return s.substr(0, std::min(s.size(), kExampleLimit)); }

// Length of a raw (still escaped) key: up to the closing quote.
std::string_view raw_key_text(const char* k) {
  const char* p = k;
  while (*p != '"' && p - k < 64) {
    if (*p == '\\' && p[1] != '\0') ++p;
    ++p;
  }
  return {k, static_cast<std::size_t>(p - k)};
}

bool read_int(simdjson::ondemand::value v, std::int64_t& out) {
  if (!v.get_int64().get(out)) return true;
  double d = 0;  // tolerate 1.7e12-style integers
  return !v.get_double().get(d) && whole_int64(d, out);
}

constexpr std::array<std::string_view, kWsEventTypeCount> kTypeNames = {
    "status", "A", "AM", "T", "Q", "V", "LULD", "NOI", "FMV", "LV", "CA", "CAS", "C", "XA", "XAS", "XT", "XQ", "XL2"};

constexpr std::array<std::string_view, 11> kStatusNames = {
    "connected",     "auth_success",    "auth_failed",      "auth_timeout",  "success", "error",
    "auth_required", "max_connections", "force_disconnect", "slow_consumer", "unknown"};

}  // namespace

std::string_view to_string(WsStatus status) noexcept { return kStatusNames[static_cast<std::size_t>(status)]; }

WsStatus ws_status_from(std::string_view text) noexcept {
  for (std::size_t i = 0; i + 1 < kStatusNames.size(); ++i)
    if (kStatusNames[i] == text) return static_cast<WsStatus>(i);
  return WsStatus::unknown;
}

std::string_view to_string(WsEventType type) noexcept {
  auto i = static_cast<std::size_t>(type);
  return i < kTypeNames.size() ? kTypeNames[i] : "?";
}

void WsFrame::clear() {
  statuses.clear();
  aggs.clear();
  rejects.clear();
  drift.clear();
  counts.fill(0);
  events_seen = 0;
}

const char* validate_ws_agg(const WsAggEvent& event) noexcept {
  const BarWindow any_time{std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(),
                           event.kind == WsAggKind::second ? 1000 : 60000};
  if (const char* reason = validate_bar(event.bar, any_time)) return reason;
  if ((event.extra & kWsAggHasEnd) && event.end_ms <= event.bar.ts_ms) return "window end not after window start";
  return nullptr;
}

void WsEventParser::note_drift(WsFrame& out, std::string_view prefix, std::string_view field, DriftKind kind,
                               std::string_view example) {
  if (out.drift.size() >= kMaxDriftPerPage) return;
  field = shorten(field);
  for (const auto& d : out.drift)
    if (d.kind == kind && d.field.size() == prefix.size() + 1 + field.size() && d.field.starts_with(prefix) &&
        d.field.ends_with(field))
      return;
  std::string name;
  name.reserve(prefix.size() + 1 + field.size());
  name.append(prefix).append(".").append(field);
  out.drift.push_back({std::move(name), kind, std::string(shorten(example))});
}

std::string_view WsEventParser::raw_value(simdjson::ondemand::value& v) const {
  std::string_view token = v.raw_json_token();
  if (!token.empty() && (token.front() == '{' || token.front() == '['))
    return shorten(json_object_at(token.data(), frame_end_));
  return token;
}

void WsEventParser::reject(WsFrame& out, const char* start, std::string reason) {
  out.rejects.push_back({std::move(reason), std::string(json_object_at(start, frame_end_))});
}

void WsEventParser::parse(std::string_view frame, WsFrame& out) {
  padded_.assign(frame);
  padded_.reserve(frame.size() + simdjson::SIMDJSON_PADDING);
  parse(simdjson::padded_string_view(padded_), out);
}

void WsEventParser::parse(simdjson::padded_string_view frame, WsFrame& out) {
  const std::string_view text(frame.data(), frame.size());
  frame_end_ = text.data() + text.size();
  auto frame_reject = [&](std::string_view what, simdjson::error_code code) {
    out.rejects.push_back({std::string(what) + ": " + simdjson::error_message(code), std::string(text)});
  };
  simdjson::ondemand::document doc;
  if (auto err = parser_.iterate(frame).get(doc)) return frame_reject("frame is not JSON", err);
  simdjson::ondemand::array events;
  if (auto err = doc.get_array().get(events)) return frame_reject("frame is not a JSON array", err);
  for (auto element : events) {
    simdjson::ondemand::value value;
    if (auto err = element.get(value)) return frame_reject("frame is not valid JSON", err);
    ++out.events_seen;
    parse_event(value, out);
    if (broken_) {
      broken_ = false;
      return;
    }
  }
}

void WsEventParser::parse_event(simdjson::ondemand::value value, WsFrame& out) {
  const char* start = value.raw_json_token().data();
  simdjson::ondemand::object obj;
  if (value.get_object().get(obj)) {
    out.rejects.push_back({"event is not a JSON object", std::string(raw_value(value))});
    return;
  }
  std::string_view ev;
  if (obj.find_field_unordered("ev").get_string().get(ev)) return reject(out, start, "event has no \"ev\" string");
  if (obj.reset().error()) {
    broken_ = true;
    return reject(out, start, "event is not valid JSON");
  }

  WsEventType type = WsEventType::count_;
  for (std::size_t i = 0; i < kTypeNames.size(); ++i)
    if (kTypeNames[i] == ev) {
      type = static_cast<WsEventType>(i);
      break;
    }
  if (type == WsEventType::count_) {
    std::string reason = "unknown event type \"";
    reason.append(shorten(ev)).append("\"");
    return reject(out, start, std::move(reason));
  }
  ++out.counts[static_cast<std::size_t>(type)];
  switch (type) {
    case WsEventType::status: return parse_status(obj, start, out);
    case WsEventType::A: return parse_agg(obj, WsAggKind::second, start, out);
    case WsEventType::AM: return parse_agg(obj, WsAggKind::minute, start, out);
    default: return;  // known, not parsed: the array iteration skips it
  }
}

void WsEventParser::parse_status(simdjson::ondemand::object& obj, const char* start, WsFrame& out) {
  WsStatusEvent event;
  bool have_status = false;
  for (auto field : obj) {
    simdjson::ondemand::raw_json_string raw_key;
    if (field.key().get(raw_key)) {
      broken_ = true;
      return reject(out, start, "event is not valid JSON");
    }
    std::string_view key = raw_key_text(raw_key.raw());
    simdjson::ondemand::value v;
    if (field.value().get(v)) {
      broken_ = true;
      return reject(out, start, "event is not valid JSON");
    }
    if (key == "ev") continue;
    if (key == "status" || key == "message") {
      std::string_view s;
      if (v.get_string().get(s)) {
        note_drift(out, "status", key, DriftKind::type_changed, raw_value(v));
        continue;
      }
      if (key == "status") {
        event.status_text = s;
        event.status = ws_status_from(s);
        have_status = true;
      } else {
        event.message = s;
      }
    } else {
      note_drift(out, "status", key, DriftKind::unknown_field, raw_value(v));
    }
  }
  if (!have_status) return reject(out, start, "status event has no \"status\" string");
  out.statuses.push_back(event);
}

void WsEventParser::parse_agg(simdjson::ondemand::object& obj, WsAggKind kind, const char* start, WsFrame& out) {
  const std::string_view prefix = kind == WsAggKind::second ? "A" : "AM";
  WsAggEvent event;
  event.kind = kind;
  Bar& bar = event.bar;
  enum : unsigned { kSym = 1, kS = 2, kO = 4, kH = 8, kL = 16, kC = 32, kV = 64, kVW = 128 };
  unsigned seen = 0;
  const char* type_error = nullptr;

  for (auto field : obj) {
    simdjson::ondemand::raw_json_string raw_key;
    if (field.key().get(raw_key)) {
      broken_ = true;
      return reject(out, start, "event is not valid JSON");
    }
    const char* k = raw_key.raw();
    simdjson::ondemand::value v;
    if (field.value().get(v)) {
      broken_ = true;
      return reject(out, start, "event is not valid JSON");
    }
    unsigned bit = 0;
    std::uint8_t extra_bit = 0;
    double* target = nullptr;
    std::int64_t* int_target = nullptr;
    bool known_unstored = false;
    // Keys are 1-3 ASCII letters on the wire; the closing quote gives the length.
    if (k[1] == '"') {
      switch (k[0]) {
        case 's': bit = kS; int_target = &bar.ts_ms; break;
        case 'e': extra_bit = kWsAggHasEnd; int_target = &event.end_ms; break;
        case 'o': bit = kO; target = &bar.open; break;
        case 'h': bit = kH; target = &bar.high; break;
        case 'l': bit = kL; target = &bar.low; break;
        case 'c': bit = kC; target = &bar.close; break;
        case 'v': bit = kV; target = &bar.volume; break;
        case 'a': extra_bit = kWsAggHasDayVwap; target = &event.day_vwap; break;
        case 'z': extra_bit = kWsAggHasAvgTradeSize; target = &event.avg_trade_size; break;
        default: break;
      }
    } else if (k[2] == '"') {
      if (k[0] == 'e' && k[1] == 'v') continue;
      if (k[0] == 'v' && k[1] == 'w') bit = kVW, target = &bar.vwap;
      else if (k[0] == 'o' && k[1] == 'p') extra_bit = kWsAggHasDayOpen, target = &event.day_open;
      else if (k[0] == 'a' && k[1] == 'v') extra_bit = kWsAggHasDayVolume, target = &event.day_volume;
      else if (k[0] == 'd' && k[1] == 'v') known_unstored = true;  // fractional volume (string)
    } else if (k[3] == '"') {
      if (k[0] == 's' && k[1] == 'y' && k[2] == 'm') {
        if (v.get_string().get(event.symbol)) {
          note_drift(out, prefix, "sym", DriftKind::type_changed, raw_value(v));
          type_error = "field has the wrong type";
        } else {
          seen |= kSym;
        }
        continue;
      }
      if (k[0] == 'o' && k[1] == 't' && k[2] == 'c') {
        bool b = false;
        if (v.get_bool().get(b)) note_drift(out, prefix, "otc", DriftKind::type_changed, raw_value(v));
        event.otc = b;
        continue;
      }
      if (k[0] == 'd' && k[1] == 'a' && k[2] == 'v') known_unstored = true;  // fractional day volume
    }
    if (known_unstored) continue;
    if (!target && !int_target) {
      note_drift(out, prefix, raw_key_text(k), DriftKind::unknown_field, raw_value(v));
      continue;
    }
    bool ok = target ? !v.get_double().get(*target) : read_int(v, *int_target);
    if (!ok) {
      note_drift(out, prefix, raw_key_text(k), DriftKind::type_changed, raw_value(v));
      if (bit && !type_error) type_error = "field has the wrong type";
      continue;
    }
    seen |= bit;
    event.extra |= extra_bit;
  }

  const bool equity = !event.symbol.starts_with("I:");
  const unsigned required = kSym | kS | kO | kH | kL | kC | (equity ? kV : 0u);
  if ((seen & required) != required)
    return reject(out, start,
                  type_error ? type_error
                             : (equity ? "required field missing (sym, s, o, h, l, c, v)"
                                       : "required field missing (sym, s, o, h, l, c)"));
  if (equity && !(seen & kVW)) note_drift(out, prefix, "vw", DriftKind::missing_optional_field, "");
  bar.fields = static_cast<std::uint8_t>(((seen & kV) ? kBarHasVolume : 0) | ((seen & kVW) ? kBarHasVwap : 0));
  if (const char* reason = validate_ws_agg(event)) return reject(out, start, reason);
  out.aggs.push_back(event);
}

}  // namespace soi
