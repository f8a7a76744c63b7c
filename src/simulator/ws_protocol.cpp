#include "simulator/ws_protocol.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <iterator>

#include <fmt/format.h>
#include <simdjson.h>

#include "simulator/json_writer.hpp"

namespace soi::sim {
namespace {

constexpr std::array<std::string_view, 8> kStockEvents{"A", "AM", "T", "Q", "LULD", "NOI", "FMV", "LV"};
constexpr std::array<std::string_view, 6> kOptionEvents{"A", "AM", "T", "Q", "FMV", "LV"};
constexpr std::array<std::string_view, 3> kIndexEvents{"A", "AM", "V"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Prints units / scale with the fraction's trailing zeros removed ("599.1", "16").
void append_scaled(std::string& out, std::int64_t units, std::int64_t scale, int digits) {
  if (units < 0) {
    out += '-';
    units = -units;
  }
  append_ws_integer(out, units / scale);
  std::int64_t frac = units % scale;
  if (frac == 0) return;
  char buf[8];
  for (int i = digits - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  int len = digits;
  while (len > 0 && buf[len - 1] == '0') --len;
  out += '.';
  out.append(buf, static_cast<std::size_t>(len));
}

}  // namespace

std::string_view to_string(WsMarket market) {
  switch (market) {
    case WsMarket::stocks: return "stocks";
    case WsMarket::options: return "options";
    case WsMarket::indices: return "indices";
  }
  return "unknown";
}

std::optional<WsMarket> ws_market_of_path(std::string_view target) {
  target = target.substr(0, target.find('?'));
  if (target.size() > 1 && target.back() == '/') target.remove_suffix(1);
  if (target == "/stocks") return WsMarket::stocks;
  if (target == "/options") return WsMarket::options;
  if (target == "/indices") return WsMarket::indices;
  return std::nullopt;
}

std::span<const std::string_view> ws_event_types(WsMarket market) {
  switch (market) {
    case WsMarket::stocks: return kStockEvents;
    case WsMarket::options: return kOptionEvents;
    case WsMarket::indices: return kIndexEvents;
  }
  return {};
}

std::string ws_status_frame(std::string_view status, std::string_view message) {
  std::string out = R"([{"ev":"status","status":)";
  append_json_string(out, status);
  out += R"(,"message":)";
  append_json_string(out, message);
  out += "}]";
  return out;
}

WsClientMessage parse_ws_client_message(std::string_view text) {
  WsClientMessage m;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) {
    m.error = "invalid JSON message";
    return m;
  }
  if (!root.is_object()) {
    m.error = R"(a message must be a JSON object {"action":...,"params":...})";
    return m;
  }
  std::string_view action;
  if (root["action"].get_string().get(action) != simdjson::SUCCESS) {
    m.error = R"(the message has no "action" string)";
    return m;
  }
  m.action = std::string(action);
  std::string_view params;
  if (root["params"].get_string().get(params) == simdjson::SUCCESS) m.params = std::string(params);
  return m;
}

std::vector<WsTopic> parse_ws_topics(std::string_view params, WsMarket market) {
  std::vector<WsTopic> topics;
  std::size_t start = 0;
  while (start <= params.size()) {
    std::size_t end = params.find(',', start);
    if (end == std::string_view::npos) end = params.size();
    const std::string_view item = trim(params.substr(start, end - start));
    start = end + 1;
    if (item.empty()) continue;
    WsTopic t;
    t.text = std::string(item);
    const auto dot = item.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == item.size()) {
      t.error = fmt::format("invalid topic '{}': expected <event>.<symbol>, e.g. A.SPY or A.*", item);
    } else {
      t.ev = std::string(item.substr(0, dot));
      t.sym = std::string(item.substr(dot + 1));
      bool known = false;
      std::string allowed;
      for (const auto ev : ws_event_types(market)) {
        known = known || ev == t.ev;
        allowed += (allowed.empty() ? "" : ", ") + std::string(ev);
      }
      if (!known)
        t.error = fmt::format("unknown event type '{}' in '{}' for the {} market (one of: {})", t.ev, item,
                              to_string(market), allowed);
    }
    topics.push_back(std::move(t));
  }
  return topics;
}

void append_ws_integer(std::string& out, std::int64_t value) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

void append_ws_number(std::string& out, double x) {
  if (!std::isfinite(x)) {
    out += "null";
    return;
  }
  if (std::fabs(x) < 1e13) {
    const double cents = std::round(x * 100.0);
    if (cents / 100.0 == x) {
      append_scaled(out, static_cast<std::int64_t>(cents), 100, 2);
      return;
    }
    const double units = std::round(x * 10000.0);
    if (units / 10000.0 == x) {
      append_scaled(out, static_cast<std::int64_t>(units), 10000, 4);
      return;
    }
  }
  fmt::format_to(std::back_inserter(out), "{}", x);
}

std::string ws_event_head(std::string_view ev, std::string_view sym) {
  std::string head = R"({"ev":)";
  append_json_string(head, ev);
  head += R"(,"sym":)";
  append_json_string(head, sym);
  return head;
}

void append_ws_agg_event(std::string& out, std::string_view head, const Bar& b, WsMarket market,
                         const WsDayTotals& day, std::int64_t span_ms) {
  out += head;
  if (market == WsMarket::indices) {
    out += R"(,"op":)";
    append_ws_number(out, day.open);
  } else {
    const bool has_volume = (b.fields & kBarHasVolume) != 0;
    const bool has_vwap = (b.fields & kBarHasVwap) != 0;
    if (has_volume) {
      out += R"(,"v":)";
      append_ws_number(out, b.volume);
      out += R"(,"av":)";
      append_ws_number(out, day.volume);
    }
    out += R"(,"op":)";
    append_ws_number(out, day.open);
    if (has_vwap) {
      out += R"(,"vw":)";
      append_ws_number(out, b.vwap);
    }
    out += R"(,"o":)";
    append_ws_number(out, b.open);
    out += R"(,"c":)";
    append_ws_number(out, b.close);
    out += R"(,"h":)";
    append_ws_number(out, b.high);
    out += R"(,"l":)";
    append_ws_number(out, b.low);
    if (has_volume && has_vwap) {
      out += R"(,"a":)";
      append_ws_number(out, day.vwap);
    }
    if (has_volume && (b.fields & kBarHasTransactions) && b.transactions > 0) {
      out += R"(,"z":)";
      append_ws_integer(out, std::llround(b.volume / static_cast<double>(b.transactions)));
    }
    out += R"(,"s":)";
    append_ws_integer(out, b.ts_ms);
    out += R"(,"e":)";
    append_ws_integer(out, b.ts_ms + span_ms);
    out += '}';
    return;
  }
  out += R"(,"o":)";
  append_ws_number(out, b.open);
  out += R"(,"c":)";
  append_ws_number(out, b.close);
  out += R"(,"h":)";
  append_ws_number(out, b.high);
  out += R"(,"l":)";
  append_ws_number(out, b.low);
  out += R"(,"s":)";
  append_ws_integer(out, b.ts_ms);
  out += R"(,"e":)";
  append_ws_integer(out, b.ts_ms + span_ms);
  out += '}';
}

}  // namespace soi::sim
