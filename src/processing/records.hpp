// Typed records shared by every source, mode (REST backfill, WebSocket stream,
// simulator replay) and sink. Kept flat and trivially copyable: the parser fills
// vectors of these without per-record allocation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "utils/time_util.hpp"

namespace soi {

// Which optional bar fields the wire carried. Indices have none of them.
enum BarFieldMask : std::uint8_t {
  kBarHasVolume = 1 << 0,
  kBarHasVwap = 1 << 1,
  kBarHasTransactions = 1 << 2,
  kBarFullFields = kBarHasVolume | kBarHasVwap | kBarHasTransactions,
};

// One aggregate bar (per-second or per-minute). ts_ms is the UTC start of the window.
struct Bar {
  std::int64_t ts_ms = 0;
  double open = 0, high = 0, low = 0, close = 0;
  double volume = 0;
  double vwap = 0;
  std::int64_t transactions = 0;
  std::uint8_t fields = 0;  // BarFieldMask
};

enum class Origin : std::uint8_t { rest, ws };
inline std::string_view to_string(Origin o) { return o == Origin::rest ? "rest" : "ws"; }

// The bars of one ticker for one trading day: the unit that sinks write.
struct BarDay {
  std::string feed;    // "spy", "vix", "options": the folder under data/raw
  std::string ticker;  // "SPY", "I:VIX", "O:SPY250117C00590000"
  Date date;
  Origin origin = Origin::rest;
  std::vector<Bar> bars;
};

}  // namespace soi
