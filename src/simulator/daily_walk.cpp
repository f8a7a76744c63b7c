#include "simulator/daily_walk.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "simulator/sim_random.hpp"

namespace soi::sim {
namespace {

// Weak pull of the price back to the anchor level: keeps decades of walk within
// roughly +-25% of the configured open, so strikes and tests stay meaningful.
constexpr double kPriceReversion = 0.02;
constexpr double kVixPersistence = 0.92;  // day-to-day AR(1) coefficient of log VIX
constexpr double kVixBeta = 5.0;          // a 1% SPY drop lifts VIX about 5%
constexpr double kVixNoise = 0.05;
constexpr double kGapFraction = 0.3;      // overnight gap sd relative to the day's sd

enum DrawTag : std::uint64_t { kReturnTag = 1, kGapTag = 2, kVixTag = 3 };

}  // namespace

DailyWalk::DailyWalk(WalkParams params) : params_(std::move(params)) {}

double DailyWalk::draw(Date d, std::uint64_t tag) const {
  const std::uint64_t h = hash_combine(hash_combine(hash_combine(params_.seed, hash_text(params_.key)), day_number(d)), tag);
  // Two hashed uniforms -> one Box-Muller normal.
  const double u1 = 1.0 - unit_from_hash(h);
  const double u2 = unit_from_hash(splitmix64(h));
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double DailyWalk::vol_from_vix(double vix) const { return vix / 100.0 / std::sqrt(252.0) * params_.vol_scale; }

double DailyWalk::clamp_vix(double vix) const {
  return std::clamp(vix, std::max(8.0, params_.vix_level * 0.5), params_.vix_level * 5.0);
}

DailyWalk::Core DailyWalk::make_anchor() const {
  Core c;
  c.open = params_.anchor_open;
  c.vix_open = params_.vix_level;
  c.daily_vol = vol_from_vix(c.vix_open);
  c.close = c.open * std::exp(c.daily_vol * draw(kAnchorDate, kReturnTag));
  return c;
}

DailyWalk::Core DailyWalk::forward(const Core& prev, Date next) const {
  const double level = std::log(params_.vix_level);
  const double prev_return = std::log(prev.close / prev.open);
  Core c;
  c.vix_open = clamp_vix(std::exp(level + kVixPersistence * (std::log(prev.vix_open) - level) -
                                  kVixBeta * prev_return + kVixNoise * draw(next, kVixTag)));
  c.daily_vol = vol_from_vix(c.vix_open);
  c.open = prev.close * std::exp(kGapFraction * c.daily_vol * draw(next, kGapTag));
  const double drift = -kPriceReversion * std::log(c.open / params_.anchor_open);
  c.close = c.open * std::exp(drift + c.daily_vol * draw(next, kReturnTag));
  return c;
}

// Mirror of forward(): the same shocks of `next_date` link the two days, so the
// previous close still gaps into the known open.
DailyWalk::Core DailyWalk::backward(const Core& next, Date next_date, Date prev) const {
  const double level = std::log(params_.vix_level);
  Core c;
  c.vix_open = clamp_vix(std::exp(level + kVixPersistence * (std::log(next.vix_open) - level) +
                                  kVixNoise * draw(prev, kVixTag)));
  c.daily_vol = vol_from_vix(c.vix_open);
  c.close = next.open / std::exp(kGapFraction * next.daily_vol * draw(next_date, kGapTag));
  const double drift = -kPriceReversion * std::log(c.close / params_.anchor_open);
  c.open = c.close / std::exp(drift + c.daily_vol * draw(prev, kReturnTag));
  return c;
}

void DailyWalk::cover(Date from, Date to) {
  if (cores_.empty()) cores_.emplace(to_sys(kAnchorDate), make_anchor());
  while (cores_.rbegin()->first < to_sys(to)) {
    const auto& [last_day, last] = *cores_.rbegin();
    const Date next = calendar_.next_trading_day(Date{last_day});
    cores_.emplace(to_sys(next), forward(last, next));
  }
  while (cores_.begin()->first > to_sys(from)) {
    const auto& [first_day, first] = *cores_.begin();
    const Date prev = calendar_.last_trading_days(Date{first_day}, 1).front();
    cores_.emplace(to_sys(prev), backward(first, Date{first_day}, prev));
  }
}

std::optional<DailyState> DailyWalk::day(Date d) {
  if (to_sys(d) < to_sys(kFirstSimDate) || to_sys(d) > to_sys(kLastSimDate)) return std::nullopt;
  if (!calendar_.is_trading_day(d)) return std::nullopt;
  std::lock_guard lock(mutex_);
  // Two weeks back always contains the previous trading day.
  cover(add_days(d, -14), d);
  auto it = cores_.find(to_sys(d));
  if (it == cores_.end() || it == cores_.begin()) return std::nullopt;
  const Core& prev = std::prev(it)->second;
  const Core& c = it->second;
  return DailyState{d, c.open, c.close, prev.close, c.vix_open, c.daily_vol};
}

}  // namespace soi::sim
