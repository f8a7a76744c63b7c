#include "utils/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <thread>
#include <utility>

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
  Permit permit = acquire_permit();
  permit.sent(now_());
}

RateLimiter::Permit RateLimiter::acquire_permit() {
  Clock::time_point due;
  Clock::time_point now;
  Permit permit;
  {
    std::unique_lock lock(mutex_);
    // The place this token takes is the oldest of the ring: its request must
    // have reported when it left before the window can be measured from it.
    if (window_cap_ > 0 && window_.size() == window_cap_)
      reported_.wait(lock, [&] { return !window_[window_next_].pending; });
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
        std::size_t place = window_next_;
        if (window_.size() < window_cap_) {
          place = window_.size();
          window_.push_back(Place{std::max(due, now)});
        } else {
          due = std::max(due, window_[window_next_].left + kWindow);
          window_[window_next_] = Place{std::max(due, now)};
          window_next_ = (window_next_ + 1) % window_cap_;
        }
        permit = Permit(this, place);
      }
      next_free_ = due + interval;
    }
  }
  // The slot is reserved: wait for it without holding the lock.
  if (due > now) sleep_(due - now);
  return permit;
}

void RateLimiter::report_sent(std::size_t place, Clock::time_point at) {
  {
    std::lock_guard lock(mutex_);
    window_[place] = Place{std::max(window_[place].left, at), false};
  }
  reported_.notify_all();
}

RateLimiter::Permit::Permit(Permit&& other) noexcept
    : limiter_(std::exchange(other.limiter_, nullptr)), place_(other.place_) {}

RateLimiter::Permit& RateLimiter::Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    if (limiter_) sent(limiter_->now_());
    limiter_ = std::exchange(other.limiter_, nullptr);
    place_ = other.place_;
  }
  return *this;
}

RateLimiter::Permit::~Permit() {
  if (limiter_) sent(limiter_->now_());
}

void RateLimiter::Permit::sent(Clock::time_point at) {
  if (!limiter_) return;
  std::exchange(limiter_, nullptr)->report_sent(place_, at);
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
