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
      sleep_(std::move(sleep)),
      window_cap_(rate_ >= 1 ? static_cast<std::size_t>(std::floor(rate_)) : 0) {}

void RateLimiter::acquire() {
  Clock::time_point due;
  Clock::time_point now;
  {
    std::lock_guard lock(mutex_);
    now = now_();
    ++acquired_;
    if (rate_ <= 0) {
      due = hold_until_;
    } else {
      const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate_));
      // Banked capacity is capped at `burst` tokens: at most `burst` callers pass at once after idling.
      const auto earliest = now - std::chrono::duration_cast<Clock::duration>(interval * (burst_ - 1.0));
      if (!started_ || next_free_ < earliest) next_free_ = earliest;
      // After a hold, callers leave one interval apart: the server that asked us to wait sees no burst.
      if (next_free_ < hold_until_) next_free_ = hold_until_;
      started_ = true;
      due = next_free_;  // this caller's slot
      if (window_cap_ > 0) {
        // At most window_cap_ tokens in any kWindow: wait for the oldest of the last window_cap_ to age out.
        // A banked token is due in the past but leaves now: the window counts when callers leave.
        if (window_.size() < window_cap_) {
          window_.push_back(std::max(due, now));
        } else {
          due = std::max(due, window_[window_next_] + kWindow);
          window_[window_next_] = std::max(due, now);
          window_next_ = (window_next_ + 1) % window_cap_;
        }
      }
      next_free_ = due + interval;
    }
  }
  // The slot is reserved: wait for it without holding the lock.
  if (due > now) sleep_(due - now);
}

void RateLimiter::hold_until(Clock::time_point until) {
  std::lock_guard lock(mutex_);
  hold_until_ = std::max(hold_until_, until);
}

void RateLimiter::pause_for(Clock::duration d) {
  std::lock_guard lock(mutex_);
  hold_until_ = std::max(hold_until_, now_() + d);
}

RateLimiter::Clock::time_point RateLimiter::held_until() const {
  std::lock_guard lock(mutex_);
  return hold_until_;
}

std::uint64_t RateLimiter::acquired() const {
  std::lock_guard lock(mutex_);
  return acquired_;
}

}  // namespace soi
