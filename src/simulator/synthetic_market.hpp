// The synthetic market: deterministic bars for any stock, index or option ticker
// on any trading day, from one seed. SPY follows a daily walk anchored at
// spy_open; the VIX moves inversely to SPY around vix_level; options are priced
// off the SPY path. Generated days live in an LRU cache bounded by bar count.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "simulator/bar_provider.hpp"
#include "simulator/daily_walk.hpp"
#include "simulator/intraday_path.hpp"
#include "simulator/lru_cache.hpp"
#include "utils/market_calendar.hpp"

namespace soi::sim {

class SyntheticMarket : public BarProvider {
 public:
  // cache_bars bounds the bar cache (about 72 bytes per bar).
  explicit SyntheticMarket(const SimulatorConfig& config, std::size_t cache_bars = 2'000'000);

  DayBars day_bars(std::string_view ticker, Date d) override;

  // Daily open/close/previous close/VIX of a stock underlying ("SPY"); nullopt on
  // non-trading days. Cheap: no intraday path is built.
  std::optional<DailyState> daily(std::string_view underlying, Date d);

 private:
  std::shared_ptr<DailyWalk> walk_for(std::string_view underlying);
  std::shared_ptr<const DayPath> path(std::string_view underlying, Date d);
  DayBars generate(std::string_view ticker, Date d);
  std::uint64_t stream_seed(std::string_view ticker, Date d) const;

  std::uint64_t seed_;
  double spy_open_;
  double vix_level_;
  std::mutex walks_mutex_;
  std::map<std::string, std::shared_ptr<DailyWalk>, std::less<>> walks_;
  LruCache<std::string, std::shared_ptr<const DayPath>> paths_;
  LruCache<std::string, DayBars> bars_;
};

}  // namespace soi::sim
