#include "utils/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <thread>

namespace soi {
namespace {

// A small burst: up to a fifth of a second's worth of requests, at least one.
double burst_for(double rate) { return rate > 0 ? std::max(1.0, std::floor(rate / 5.0)) : 0.0; }

}  // namespace

RateLimiter::RateLimiter(double requests_per_second)
    : RateLimiter(
          requests_per_second, [] { return Clock::now(); },
          [](Clock::duration d) { std::this_thread::sleep_for(d); }) {}

RateLimiter::RateLimiter(double requests_per_second, std::function<Clock::time_point()> now,
                         std::function<void(Clock::duration)> sleep)
    : rate_(requests_per_second > 0 && std::isfinite(requests_per_second) ? requests_per_second : 0.0),
      burst_(burst_for(rate_)),
      now_(std::move(now)),
      sleep_(std::move(sleep)) {}

void RateLimiter::acquire() {
  if (rate_ <= 0) {
    std::lock_guard lock(mutex_);
    ++acquired_;
    return;
  }
  const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate_));
  Clock::time_point due;
  Clock::time_point now;
  {
    std::lock_guard lock(mutex_);
    now = now_();
    // Banked capacity is capped at `burst` tokens: at most `burst` callers pass at once after idling.
    const auto earliest = now - std::chrono::duration_cast<Clock::duration>(interval * (burst_ - 1.0));
    if (!started_ || next_free_ < earliest) next_free_ = earliest;
    started_ = true;
    due = next_free_;  // this caller's slot
    next_free_ += interval;
    ++acquired_;
  }
  // The slot is reserved: wait for it without holding the lock.
  if (due > now) sleep_(due - now);
}

std::uint64_t RateLimiter::acquired() const {
  std::lock_guard lock(mutex_);
  return acquired_;
}

}  // namespace soi
