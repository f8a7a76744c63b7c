// Parses WebSocket server frames (contract §7: every frame is a JSON array of
// events, status objects possibly mixed with data events) with simdjson
// On-Demand. One parser per connection, reused for every frame: after warm-up
// a frame is parsed without allocation (events go into the reused vectors of a
// WsFrame; text fields are string_views into the parser's string buffer).
//
// * Status objects -> WsStatusEvent {status, message}.
// * Aggregates `A` (per-second) / `AM` (per-minute) -> WsAggEvent (Bar + symbol,
//   day open `op`, window end `e`, ...), validated with the bar_validator rules
//   except the session window, which is the caller's job (it knows the day).
// * Other events of the contract (T, Q, V, LULD, FMV, ...) are counted, not parsed.
// * Unknown `ev` values, malformed events and bars breaking a data rule come back
//   as rejects (reason + raw event JSON, for the quarantine); fields the contract
//   does not list come back as drift observations (distinct per frame).
// Nothing here throws on bad input.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "data_sources/aggs_parser.hpp"  // BarReject, FieldDrift, json_object_at
#include "processing/bar_validator.hpp"
#include "processing/records.hpp"

namespace soi {

enum class WsStatus : std::uint8_t {
  connected,
  auth_success,
  auth_failed,
  auth_timeout,
  success,
  error,
  auth_required,
  max_connections,
  force_disconnect,
  slow_consumer,
  unknown,
};
std::string_view to_string(WsStatus status) noexcept;
WsStatus ws_status_from(std::string_view text) noexcept;

// Event types of the contract, for counting. `other` = known to the parser as a
// type but not listed below (never produced today); unknown types are rejects.
enum class WsEventType : std::uint8_t {
  status, A, AM, T, Q, V, LULD, NOI, FMV, LV, CA, CAS, C, XA, XAS, XT, XQ, XL2, count_
};
inline constexpr std::size_t kWsEventTypeCount = static_cast<std::size_t>(WsEventType::count_);
std::string_view to_string(WsEventType type) noexcept;

struct WsStatusEvent {
  WsStatus status = WsStatus::unknown;
  std::string_view status_text;  // as sent (useful when status == unknown)
  std::string_view message;      // "" when absent
};

enum class WsAggKind : std::uint8_t { second, minute };  // A | AM

// Optional day-level fields of an aggregate event.
enum WsAggFieldMask : std::uint8_t {
  kWsAggHasDayOpen = 1 << 0,       // op
  kWsAggHasEnd = 1 << 1,           // e
  kWsAggHasDayVolume = 1 << 2,     // av
  kWsAggHasDayVwap = 1 << 3,       // a
  kWsAggHasAvgTradeSize = 1 << 4,  // z
};

struct WsAggEvent {
  std::string_view symbol;  // "SPY", "O:SPY250117C00590000", "I:VIX"
  WsAggKind kind = WsAggKind::second;
  // ts_ms = s (window start), o/h/l/c, volume = v, vwap = vw. transactions are not
  // carried on the stream (kBarHasTransactions never set). Indices: no v/vw.
  Bar bar;
  std::int64_t end_ms = 0;      // e
  double day_open = 0;          // op: the day's official open
  double day_volume = 0;        // av
  double day_vwap = 0;          // a
  double avg_trade_size = 0;    // z: average trade size in the window
  std::uint8_t extra = 0;       // WsAggFieldMask
  bool otc = false;             // stocks only, sent only when true
};

// Everything one frame contained. Text views stay valid until the parser's next
// parse() call; clear() keeps the vectors' capacity.
struct WsFrame {
  std::vector<WsStatusEvent> statuses;
  std::vector<WsAggEvent> aggs;        // valid bars, wire order
  std::vector<BarReject> rejects;      // raw_json = the event's JSON (or the frame's)
  std::vector<FieldDrift> drift;       // field = "A.zz", "status.zz", ...
  std::array<std::uint64_t, kWsEventTypeCount> counts{};  // events seen per known type
  std::uint64_t events_seen = 0;       // every array element, including rejects

  std::uint64_t count(WsEventType type) const { return counts[static_cast<std::size_t>(type)]; }
  void clear();
};

class WsEventParser {
 public:
  // One parser serves every market: an aggregate whose symbol starts with "I:"
  // is an index bar (no v/vw); others need v and are expected to carry vw.
  WsEventParser() = default;

  // Appends the frame's events to `out`. `frame` must provide SIMDJSON_PADDING
  // readable bytes past its end (padded_string_view(std::string&) uses capacity).
  void parse(simdjson::padded_string_view frame, WsFrame& out);
  // Same, for text without padding: copied into a reused padded buffer first.
  void parse(std::string_view frame, WsFrame& out);

 private:
  void parse_event(simdjson::ondemand::value value, WsFrame& out);
  void parse_status(simdjson::ondemand::object& obj, const char* start, WsFrame& out);
  void parse_agg(simdjson::ondemand::object& obj, WsAggKind kind, const char* start, WsFrame& out);
  void reject(WsFrame& out, const char* start, std::string reason);
  std::string_view raw_value(simdjson::ondemand::value& v) const;
  void note_drift(WsFrame& out, std::string_view prefix, std::string_view field, DriftKind kind,
                  std::string_view example);

  const char* frame_end_ = nullptr;
  bool broken_ = false;  // the frame's JSON broke mid-event: stop the frame
  std::string padded_;
  simdjson::ondemand::parser parser_;
};

// The bar_validator rules without the session window: OHLC order, positive
// prices, volume, and s on a second (A) or minute (AM) boundary, e after s.
// Returns a static reason or nullptr.
const char* validate_ws_agg(const WsAggEvent& event) noexcept;

}  // namespace soi
