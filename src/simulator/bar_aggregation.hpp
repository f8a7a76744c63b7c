// Turning per-second bars into what endpoints serve: wider windows (minute,
// hour, N seconds) and per-session summaries (open-close, prev, daily bars).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "processing/records.hpp"

namespace soi::sim {

// A served bar plus how many base (per-second) bars built it (queryCount).
struct WindowBar {
  Bar bar;
  std::int64_t base_count = 1;
};

// Groups sorted base bars into windows of span_ms aligned to the epoch (the
// window's t is its start). Empty windows produce nothing, like the real feed.
void aggregate_windows(std::span<const Bar> base, std::int64_t span_ms, std::vector<WindowBar>& out);

// The regular session [open_ms, close_ms) of one day.
struct SessionSummary {
  double open = 0, high = 0, low = 0, close = 0;
  double volume = 0, vwap = 0;
  std::int64_t transactions = 0;
  std::int64_t base_count = 0;
  std::uint8_t fields = 0;
  double pre_market = 0;   // first pre-market price (the open when nothing traded before it)
  double after_hours = 0;  // last after-hours price (the close when nothing traded after it)
};

// nullopt when no bar falls inside the session.
std::optional<SessionSummary> summarize_session(std::span<const Bar> bars, std::int64_t open_ms,
                                                std::int64_t close_ms);

// The session as one daily bar starting at day_start_ms (00:00 New York).
Bar daily_bar(const SessionSummary& s, std::int64_t day_start_ms);

}  // namespace soi::sim
