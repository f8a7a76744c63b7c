// Per-host request rate limit shared by every client (and thread) talking to
// one host: a token bucket refilled at `requests_per_second` with a small burst.
// acquire() takes one token, sleeping (outside the lock) until one is due.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>

namespace soi {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // requests_per_second <= 0: unlimited (acquire() returns at once).
  explicit RateLimiter(double requests_per_second);
  // Tests: an injectable clock and sleeper (the sleeper is given how long to wait).
  RateLimiter(double requests_per_second, std::function<Clock::time_point()> now,
              std::function<void(Clock::duration)> sleep);

  // Blocks until this caller may send one request. Thread-safe.
  void acquire();

  double rate() const { return rate_; }
  double burst() const { return burst_; }
  std::uint64_t acquired() const;  // tokens handed out so far

 private:
  double rate_;
  double burst_;
  std::function<Clock::time_point()> now_;
  std::function<void(Clock::duration)> sleep_;
  mutable std::mutex mutex_;
  // Virtual schedule: the time at which the next token becomes available,
  // never earlier than now - burst/rate (so idle time banks at most `burst` tokens).
  Clock::time_point next_free_{};
  bool started_ = false;
  std::uint64_t acquired_ = 0;
};

}  // namespace soi
