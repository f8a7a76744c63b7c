#include "processing/dedup.hpp"

#include <algorithm>

namespace soi {

std::size_t dedup_keep_last(std::vector<Bar>& bars) {
  if (bars.size() < 2) return 0;
  // Backfill pages arrive sorted: skip the sort when they are.
  const bool sorted = std::is_sorted(bars.begin(), bars.end(), [](const Bar& a, const Bar& b) { return a.ts_ms < b.ts_ms; });
  if (!sorted)
    std::stable_sort(bars.begin(), bars.end(), [](const Bar& a, const Bar& b) { return a.ts_ms < b.ts_ms; });
  std::size_t out = 0;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    if (i + 1 < bars.size() && bars[i + 1].ts_ms == bars[i].ts_ms) continue;  // a later arrival follows
    bars[out++] = bars[i];
  }
  const std::size_t removed = bars.size() - out;
  bars.resize(out);
  return removed;
}

}  // namespace soi
