#include "simulator/sim_clock.hpp"

#include <cmath>

#include <fmt/format.h>

#include "utils/error.hpp"
#include "utils/time_util.hpp"

namespace soi::sim {

SimClock::SimClock(std::function<std::int64_t()> base, std::optional<std::int64_t> start, double speed)
    : base_(std::move(base)), speed_(speed) {
  if (!(speed >= 0.0) || !std::isfinite(speed))
    throw SoiError(ErrorCategory::config, fmt::format("simulator ws_speed must be >= 0, got {}", speed),
                   ErrorContext{"simulator", "", "", ""});
  follows_base_ = !start && speed == 1.0;
  // A clock that simply is base() never reads it here: a pinned test clock
  // sees exactly the reads the requests make.
  if (follows_base_) return;
  base_anchor_ms_ = base_now();
  start_ms_ = start.value_or(base_anchor_ms_);
  progress_ms_.store(start_ms_);
}

std::optional<std::int64_t> SimClock::parse_start(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (auto ms = parse_rfc3339_ms(text)) return ms;
  throw SoiError(ErrorCategory::config,
                 fmt::format("simulator ws_start must be empty or an RFC 3339 time such as "
                             "2025-01-17T09:29:00-05:00, got '{}'",
                             text),
                 ErrorContext{"simulator", "", "", ""});
}

std::int64_t SimClock::base_now() const { return base_ ? base_() : now_utc_ms(); }

std::int64_t SimClock::now_ms() const {
  if (follows_base_) return base_now();
  if (speed_ == 0.0) return progress_ms_.load(std::memory_order_relaxed);
  const double elapsed = static_cast<double>(base_now() - base_anchor_ms_) * speed_;
  return start_ms_ + static_cast<std::int64_t>(std::floor(elapsed));
}

void SimClock::advance_to(std::int64_t t) {
  if (speed_ != 0.0) return;
  std::int64_t current = progress_ms_.load(std::memory_order_relaxed);
  while (t > current && !progress_ms_.compare_exchange_weak(current, t, std::memory_order_relaxed)) {
  }
}

double SimClock::wall_ms_until(std::int64_t t) const {
  const std::int64_t now = now_ms();
  if (t <= now) return 0.0;
  if (speed_ == 0.0) return 1e12;
  return static_cast<double>(t - now) / speed_;
}

}  // namespace soi::sim
