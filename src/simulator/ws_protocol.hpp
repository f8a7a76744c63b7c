// Wire pieces of the simulator's WebSocket feed (contract section 7): markets and
// their event types, control messages, status frames, topic parsing and a fast
// writer for aggregate (A / AM) events. Socket-free, so tests use it directly.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "processing/records.hpp"

namespace soi::sim {

enum class WsMarket { stocks, options, indices };

std::string_view to_string(WsMarket market);
// "/stocks", "/options", "/indices" (query ignored); nullopt for anything else.
std::optional<WsMarket> ws_market_of_path(std::string_view target);
// Event types the market knows ("A", "AM", "T", ...). Only A and AM carry data here.
std::span<const std::string_view> ws_event_types(WsMarket market);

// [{"ev":"status","status":"<status>","message":"<message>"}]
std::string ws_status_frame(std::string_view status, std::string_view message);

// One client message: {"action":"auth|subscribe|unsubscribe","params":"..."}.
struct WsClientMessage {
  std::string action;
  std::string params;
  std::string error;  // non-empty: not a valid message (the text says why)
};
WsClientMessage parse_ws_client_message(std::string_view text);

// One topic of a subscribe/unsubscribe list: "A.SPY", "AM.*", "A.O:SPY250117C00590000".
struct WsTopic {
  std::string text;  // as given (trimmed)
  std::string ev;
  std::string sym;   // "*" = every symbol of the market
  std::string error; // non-empty: invalid topic
};
// Splits on commas, trims whitespace, skips empty items, validates each topic.
std::vector<WsTopic> parse_ws_topics(std::string_view params, WsMarket market);

// Numbers as JSON, fast: integers via to_chars; doubles that are whole cents or
// whole 1/10000ths (every synthetic price and VWAP) printed from integers, other
// doubles in shortest round-trip form. The text always parses back to the same double.
void append_ws_number(std::string& out, double value);
void append_ws_integer(std::string& out, std::int64_t value);

// Day-level fields of an aggregate event: the day's official open and its
// accumulated volume and VWAP through the end of the event's window.
struct WsDayTotals {
  double open = 0;
  double volume = 0;
  double vwap = 0;
};

// Appends one A/AM object. `head` is the pre-built `{"ev":"A","sym":"SPY"` prefix
// (see ws_event_head); span_ms is 1000 (A) or 60000 (AM).
// Stocks/options: ev,sym,v,av,op,vw,o,c,h,l,a,z,s,e; indices: ev,sym,op,o,c,h,l,s,e.
void append_ws_agg_event(std::string& out, std::string_view head, const Bar& bar, WsMarket market,
                         const WsDayTotals& day, std::int64_t span_ms);
std::string ws_event_head(std::string_view ev, std::string_view sym);

}  // namespace soi::sim
