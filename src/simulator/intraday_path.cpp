#include "simulator/intraday_path.hpp"

#include <algorithm>
#include <cmath>

#include "simulator/sim_random.hpp"

namespace soi::sim {
namespace {

constexpr double kRegularSeconds = 6.5 * 3600;  // a full session's length: the unit of daily_vol
constexpr double kPreMarketVolShare = 0.25;     // pre-market wander relative to the day's sd
constexpr double kAfterHoursVolShare = 0.2;
constexpr double kVixIntradayBeta = 4.0;        // VIX log-move per SPY log-move, inverted
constexpr double kVixNoiseSd = 0.0002;          // per-second noise of the VIX around that link
constexpr double kVixNoiseHalfLife = 900.0;     // seconds

// Fills x[from..to] (log prices) with a Brownian bridge from a to b (or a free
// walk when bridge is false). shape(i) scales the per-second sd (U-shaped volume/vol).
template <typename Shape>
void fill_segment(std::vector<double>& x, int from, int to, double a, double b, double sd, bool bridge, Rng& rng,
                  Shape shape) {
  x[static_cast<std::size_t>(from)] = a;
  if (to <= from) return;
  double w = 0;
  for (int i = from + 1; i <= to; ++i) {
    w += sd * shape(i) * rng.normal();
    x[static_cast<std::size_t>(i)] = a + w;
  }
  if (!bridge) return;
  const double miss = x[static_cast<std::size_t>(to)] - b;
  const double n = to - from;
  for (int i = from + 1; i <= to; ++i) x[static_cast<std::size_t>(i)] -= miss * (i - from) / n;
}

}  // namespace

double DayPath::second_vol() const { return daily.daily_vol / std::sqrt(kRegularSeconds); }

DayPath build_day_path(std::uint64_t seed, std::string_view key, const DailyState& daily, const SessionHours& hours) {
  DayPath p;
  p.daily = daily;
  p.start_ms = ny_wall_to_utc_ms(daily.date, kExtendedOpenMinute);
  p.open_index = (hours.open_minute - kExtendedOpenMinute) * 60;
  p.close_index = (hours.close_minute - kExtendedOpenMinute) * 60;
  const int end_minute = std::min(hours.close_minute + kAfterHoursMinutes, kExtendedCloseMinute);
  p.end_index = (end_minute - kExtendedOpenMinute) * 60;

  Rng rng(hash_combine(hash_combine(hash_combine(seed, hash_text(key)), day_number(daily.date)), 0x70617468));
  std::vector<double> x(static_cast<std::size_t>(p.end_index) + 1);
  const double day_sd = daily.daily_vol;
  const auto flat = [](int) { return 1.0; };

  fill_segment(x, 0, p.open_index, std::log(daily.prev_close), std::log(daily.open),
               kPreMarketVolShare * day_sd / std::sqrt(std::max(p.open_index, 1)), true, rng, flat);

  // Volatility is highest just after the open and into the close, as in real sessions.
  const double open_i = p.open_index, close_i = p.close_index;
  const auto u_shape = [&](int i) {
    return 0.8 + 0.9 * std::exp(-(i - open_i) / 1200.0) + 0.5 * std::exp(-(close_i - i) / 900.0);
  };
  fill_segment(x, p.open_index, p.close_index, std::log(daily.open), std::log(daily.close),
               day_sd / std::sqrt(kRegularSeconds), true, rng, u_shape);

  fill_segment(x, p.close_index, p.end_index, std::log(daily.close), 0.0,
               kAfterHoursVolShare * day_sd / std::sqrt(std::max(p.end_index - p.close_index, 1)), false, rng, flat);

  p.price.resize(x.size());
  std::transform(x.begin(), x.end(), p.price.begin(), [](double v) { return std::exp(v); });

  // VIX: inverse link to the underlying's move since the open, plus slow noise.
  p.vix.resize(static_cast<std::size_t>(p.close_index - p.open_index) + 1);
  const double log_open = std::log(daily.open);
  const double keep = std::exp(-std::log(2.0) / kVixNoiseHalfLife);
  double noise = 0;
  for (int i = p.open_index; i <= p.close_index; ++i) {
    noise = noise * keep + kVixNoiseSd * rng.normal();
    const double move = x[static_cast<std::size_t>(i)] - log_open;
    p.vix[static_cast<std::size_t>(i - p.open_index)] = daily.vix_open * std::exp(-kVixIntradayBeta * move + noise);
  }
  return p;
}

}  // namespace soi::sim
