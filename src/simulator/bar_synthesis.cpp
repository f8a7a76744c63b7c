#include "simulator/bar_synthesis.hpp"

#include <algorithm>
#include <cmath>

#include "simulator/option_pricing.hpp"
#include "simulator/price_rounding.hpp"
#include "simulator/sim_random.hpp"

namespace soi::sim {
namespace {

constexpr double kStockRegularTradeShare = 0.98;   // ~2% empty seconds in the session
constexpr double kStockExtendedTradeShare = 0.40;  // ~60% empty seconds outside it
constexpr double kMinOptionPrice = 0.01;

// OHLC from the latent price at the second's start/end plus an intra-second
// excursion; rounding can only widen high/low, never break the ordering.
Bar price_bar(std::int64_t ts_ms, double start, double end, double up, double down, double floor_price) {
  Bar b;
  b.ts_ms = ts_ms;
  b.open = std::max(round_cents(start), floor_price);
  b.close = std::max(round_cents(end), floor_price);
  b.high = std::max({round_cents(std::max(start, end) * (1.0 + up)), b.open, b.close});
  b.low = std::max(std::min({round_cents(std::min(start, end) * (1.0 - down)), b.open, b.close}), floor_price);
  return b;
}

void add_trades(Bar& b, double volume, std::int64_t transactions, Rng& rng) {
  b.volume = std::max(1.0, std::round(volume));
  b.transactions = std::clamp<std::int64_t>(transactions, 1, static_cast<std::int64_t>(b.volume));
  b.vwap = std::clamp(round_4(b.low + (b.high - b.low) * rng.uniform()), b.low, b.high);
  b.fields = kBarFullFields;
}

}  // namespace

std::vector<Bar> stock_bars(const DayPath& path, std::uint64_t stream_seed) {
  Rng rng(stream_seed);
  std::vector<Bar> bars;
  bars.reserve(static_cast<std::size_t>(path.close_index - path.open_index) +
               static_cast<std::size_t>(path.end_index - path.close_index + path.open_index) / 2);
  const double sd = path.second_vol();
  for (int i = 0; i < path.end_index; ++i) {
    const bool regular = i >= path.open_index && i < path.close_index;
    const double trade_share = regular ? kStockRegularTradeShare : kStockExtendedTradeShare;
    // The opening second always trades: the day's official open is its first print.
    if (i != path.open_index && rng.uniform() >= trade_share) continue;
    const double start = path.price[static_cast<std::size_t>(i)];
    const double end = path.price[static_cast<std::size_t>(i) + 1];
    Bar b = price_bar(path.second_ms(i), start, end, std::abs(rng.normal()) * sd * 0.6,
                      std::abs(rng.normal()) * sd * 0.6, 0.01);
    double volume = 0;
    double trade_size = 0;
    if (regular) {
      const double since_open = (i - path.open_index) / 60.0, to_close = (path.close_index - i) / 60.0;
      const double activity = 1.0 + 2.0 * std::exp(-since_open / 20.0) + 1.5 * std::exp(-to_close / 15.0);
      volume = 1800.0 * activity * std::exp(0.7 * rng.normal() - 0.245);
      trade_size = 85.0;
    } else {
      volume = 120.0 * std::exp(0.9 * rng.normal() - 0.405);
      trade_size = 60.0;
    }
    const auto trades = static_cast<std::int64_t>(std::round(volume / trade_size * (0.6 + 0.8 * rng.uniform())));
    add_trades(b, volume, trades, rng);
    bars.push_back(b);
  }
  return bars;
}

std::vector<Bar> vix_bars(const DayPath& path, std::uint64_t stream_seed) {
  Rng rng(stream_seed);
  std::vector<Bar> bars;
  bars.reserve(static_cast<std::size_t>(path.close_index - path.open_index));
  for (int i = path.open_index; i < path.close_index; ++i) {
    const double start = path.vix_at(i), end = path.vix_at(i + 1);
    bars.push_back(price_bar(path.second_ms(i), start, end, std::abs(rng.normal()) * 0.0008,
                             std::abs(rng.normal()) * 0.0008, 0.01));
  }
  return bars;
}

std::vector<Bar> index_bars(const DayPath& path, double scale, std::uint64_t stream_seed) {
  Rng rng(stream_seed);
  std::vector<Bar> bars;
  bars.reserve(static_cast<std::size_t>(path.close_index - path.open_index));
  const double sd = path.second_vol();
  for (int i = path.open_index; i < path.close_index; ++i) {
    const double start = path.price[static_cast<std::size_t>(i)] * scale;
    const double end = path.price[static_cast<std::size_t>(i) + 1] * scale;
    bars.push_back(price_bar(path.second_ms(i), start, end, std::abs(rng.normal()) * sd * 0.3,
                             std::abs(rng.normal()) * sd * 0.3, 0.01));
  }
  return bars;
}

std::vector<Bar> option_bars(const DayPath& underlying, const OccContract& contract, std::uint64_t stream_seed) {
  Rng rng(stream_seed);
  std::vector<Bar> bars;
  const double strike = contract.strike();
  if (strike <= 0) return bars;
  const double spot_open = underlying.price[static_cast<std::size_t>(underlying.open_index)];
  // Liquidity falls off away from the money: ~20% of seconds trade at the money,
  // ~5% far out, i.e. 80-95% empty seconds like the real feed.
  const double distance = std::abs(std::log(strike / spot_open));
  const double trade_share = 0.05 + 0.15 * std::exp(-distance / 0.02);
  const double mean_size = 2.0 + 10.0 * std::exp(-distance / 0.03);
  const std::int64_t expiry_ms = ny_wall_to_utc_ms(contract.expiration, kRegularCloseMinute);
  const auto price_at = [&](int i) {
    const double spot = underlying.price[static_cast<std::size_t>(i)];
    const double vol = skewed_volatility(underlying.vix_at(i) / 100.0, spot, strike);
    const double years = static_cast<double>(expiry_ms - underlying.second_ms(i)) / kMillisPerYear;
    return black_scholes(contract.is_call, spot, strike, years, kRiskFreeRate, vol);
  };
  for (int i = underlying.open_index; i < underlying.close_index; ++i) {
    if (rng.uniform() >= trade_share) continue;
    Bar b = price_bar(underlying.second_ms(i), price_at(i), price_at(i + 1), std::abs(rng.normal()) * 0.003,
                      std::abs(rng.normal()) * 0.003, kMinOptionPrice);
    const double volume = 1.0 + std::floor(-std::log(1.0 - rng.uniform()) * mean_size);
    add_trades(b, volume, rng.between(1, static_cast<int>(volume)), rng);
    bars.push_back(b);
  }
  return bars;
}

}  // namespace soi::sim
