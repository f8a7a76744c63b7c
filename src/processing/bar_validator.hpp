// Data rules every bar must satisfy before it is stored. Returns a static
// reason string (no allocation on the hot path) or nullptr when the bar is good.
#pragma once

#include <cstdint>

#include "processing/records.hpp"

namespace soi {

// Bars must start inside [from_ms, to_ms) on a multiple of step_ms.
struct BarWindow {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  std::int64_t step_ms = 1000;
};

inline const char* validate_bar(const Bar& b, const BarWindow& w) {
  if (b.ts_ms < w.from_ms || b.ts_ms >= w.to_ms) return "timestamp outside the requested window";
  if (b.ts_ms % w.step_ms != 0) return "timestamp not on a bar boundary";
  if (!(b.low <= b.open && b.open <= b.high)) return "open outside [low, high]";
  if (!(b.low <= b.close && b.close <= b.high)) return "close outside [low, high]";
  if (!(b.low > 0)) return "non-positive price";
  if ((b.fields & kBarHasVolume) && !(b.volume >= 0)) return "negative volume";
  if ((b.fields & kBarHasTransactions) && b.transactions < 0) return "negative transaction count";
  return nullptr;
}

}  // namespace soi
