#include "simulator/bar_aggregation.hpp"

#include <algorithm>
#include <cmath>

#include "simulator/price_rounding.hpp"

namespace soi::sim {
namespace {


std::int64_t window_start(std::int64_t ts, std::int64_t span) {
  std::int64_t r = ts % span;
  if (r < 0) r += span;
  return ts - r;
}

// Accumulates OHLCV over consecutive bars.
struct Accumulator {
  Bar bar;
  double notional = 0;  // sum(vwap * volume)
  std::int64_t count = 0;

  void add(const Bar& b) {
    if (count == 0) {
      bar.open = b.open;
      bar.high = b.high;
      bar.low = b.low;
      bar.fields = b.fields;
    } else {
      bar.high = std::max(bar.high, b.high);
      bar.low = std::min(bar.low, b.low);
      bar.fields &= b.fields;
    }
    bar.close = b.close;
    bar.volume += b.volume;
    bar.transactions += b.transactions;
    notional += b.vwap * b.volume;
    ++count;
  }
  Bar finish() const {
    Bar out = bar;
    if ((out.fields & kBarHasVwap) && out.volume > 0)
      out.vwap = std::clamp(round_4(notional / out.volume), out.low, out.high);
    return out;
  }
};

}  // namespace

void aggregate_windows(std::span<const Bar> base, std::int64_t span_ms, std::vector<WindowBar>& out) {
  std::size_t i = 0;
  while (i < base.size()) {
    const std::int64_t start = window_start(base[i].ts_ms, span_ms);
    Accumulator acc;
    acc.bar.ts_ms = start;
    while (i < base.size() && base[i].ts_ms < start + span_ms) acc.add(base[i++]);
    out.push_back(WindowBar{acc.finish(), acc.count});
  }
}

std::optional<SessionSummary> summarize_session(std::span<const Bar> bars, std::int64_t open_ms,
                                                std::int64_t close_ms) {
  const auto by_ts = [](const Bar& b, std::int64_t t) { return b.ts_ms < t; };
  const auto first = std::lower_bound(bars.begin(), bars.end(), open_ms, by_ts);
  const auto last = std::lower_bound(first, bars.end(), close_ms, by_ts);
  if (first == last) return std::nullopt;
  Accumulator acc;
  for (auto it = first; it != last; ++it) acc.add(*it);
  const Bar b = acc.finish();
  SessionSummary s;
  s.open = b.open;
  s.high = b.high;
  s.low = b.low;
  s.close = b.close;
  s.volume = b.volume;
  s.vwap = b.vwap;
  s.transactions = b.transactions;
  s.fields = b.fields;
  s.base_count = acc.count;
  s.pre_market = first != bars.begin() ? bars.front().open : b.open;
  s.after_hours = last != bars.end() ? bars.back().close : b.close;
  return s;
}

Bar daily_bar(const SessionSummary& s, std::int64_t day_start_ms) {
  Bar b;
  b.ts_ms = day_start_ms;
  b.open = s.open;
  b.high = s.high;
  b.low = s.low;
  b.close = s.close;
  b.volume = s.volume;
  b.vwap = s.vwap;
  b.transactions = s.transactions;
  b.fields = s.fields;
  return b;
}

}  // namespace soi::sim
