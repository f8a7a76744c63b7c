#include "simulator/synthetic_market.hpp"

#include <fmt/format.h>

#include "simulator/bar_synthesis.hpp"
#include "simulator/occ_ticker.hpp"
#include "simulator/sim_random.hpp"

namespace soi::sim {
namespace {

constexpr std::size_t kMaxWalks = 256;           // distinct underlyings kept (each ~100 KB)
constexpr std::size_t kPathCacheEntries = 24;    // ~0.5 MB per cached path
constexpr int kOptionListingDays = 400;          // options trade this long before expiring
constexpr double kSpxPerSpy = 10.0;

std::string cache_key(std::string_view ticker, Date d) { return fmt::format("{}|{}", ticker, format_date(d)); }

}  // namespace

SyntheticMarket::SyntheticMarket(const SimulatorConfig& config, std::size_t cache_bars)
    : seed_(config.seed),
      spy_open_(config.spy_open),
      vix_level_(config.vix_level),
      paths_(kPathCacheEntries),
      bars_(cache_bars) {}

std::shared_ptr<DailyWalk> SyntheticMarket::walk_for(std::string_view underlying) {
  std::lock_guard lock(walks_mutex_);
  if (auto it = walks_.find(underlying); it != walks_.end()) return it->second;
  // A flood of made-up tickers must not grow memory forever; walks are cheap to rebuild.
  if (walks_.size() >= kMaxWalks) walks_.clear();
  WalkParams params;
  params.seed = seed_;
  params.key = std::string(underlying);
  params.vix_level = vix_level_;
  if (underlying == "SPY") {
    params.anchor_open = spy_open_;
  } else {
    // Other tickers: a stable price level in [20, 500) and a bit more volatility than SPY.
    const std::uint64_t h = hash_text(underlying);
    params.anchor_open = 20.0 + static_cast<double>(h % 48000) / 100.0;
    params.vol_scale = 1.0 + static_cast<double>((h >> 20) % 100) / 100.0;
  }
  auto walk = std::make_shared<DailyWalk>(std::move(params));
  walks_.emplace(std::string(underlying), walk);
  return walk;
}

std::optional<DailyState> SyntheticMarket::daily(std::string_view underlying, Date d) {
  return walk_for(underlying)->day(d);
}

std::shared_ptr<const DayPath> SyntheticMarket::path(std::string_view underlying, Date d) {
  const auto state = daily(underlying, d);
  if (!state) return nullptr;
  return paths_.get_or_compute(
      cache_key(underlying, d),
      [&] {
        return std::make_shared<const DayPath>(
            build_day_path(seed_, underlying, *state, MarketCalendar::builtin_session(d)));
      },
      [](const auto&) { return std::size_t{1}; });
}

std::uint64_t SyntheticMarket::stream_seed(std::string_view ticker, Date d) const {
  return hash_combine(hash_combine(hash_combine(seed_, hash_text(ticker)), day_number(d)), 0x62617273);
}

DayBars SyntheticMarket::day_bars(std::string_view ticker, Date d) {
  if (ticker.empty() || !MarketCalendar::builtin_session(d).is_trading_day) return empty_day();
  return bars_.get_or_compute(
      cache_key(ticker, d), [&] { return generate(ticker, d); },
      [](const DayBars& bars) { return bars->size() + 1; });
}

DayBars SyntheticMarket::generate(std::string_view ticker, Date d) {
  const std::uint64_t seed = stream_seed(ticker, d);
  switch (classify_ticker(ticker)) {
    case TickerKind::stock: {
      auto p = path(ticker, d);
      if (!p) return empty_day();
      return std::make_shared<const std::vector<Bar>>(stock_bars(*p, seed));
    }
    case TickerKind::index: {
      const std::string_view name = ticker.substr(2);
      // VIX and SPX hang off the SPY path so they move with it; other indices get their own walk.
      if (name == "VIX" || name == "SPX") {
        auto p = path("SPY", d);
        if (!p) return empty_day();
        return std::make_shared<const std::vector<Bar>>(name == "VIX" ? vix_bars(*p, seed)
                                                                      : index_bars(*p, kSpxPerSpy, seed));
      }
      auto p = path(ticker, d);
      if (!p) return empty_day();
      return std::make_shared<const std::vector<Bar>>(index_bars(*p, 1.0, seed));
    }
    case TickerKind::option: {
      const auto contract = parse_occ_ticker(ticker);
      if (!contract) return empty_day();
      const auto days_to_expiry = (to_sys(contract->expiration) - to_sys(d)).count();
      if (days_to_expiry < 0 || days_to_expiry > kOptionListingDays) return empty_day();
      auto p = path(contract->root, d);
      if (!p) return empty_day();
      return std::make_shared<const std::vector<Bar>>(option_bars(*p, *contract, seed));
    }
  }
  return empty_day();
}

}  // namespace soi::sim
