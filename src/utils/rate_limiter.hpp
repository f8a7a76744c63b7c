// Per-host request rate limit shared by every client (and thread) talking to
// one host: a token bucket refilled at `requests_per_second` with a small burst,
// and never more than `requests_per_second` requests in any window of
// kWindow (one second plus a guard for network jitter: the server counts by
// arrival, so requests leaving exactly one second apart could arrive closer).
// acquire() takes one token, sleeping (outside the lock) until one is due.
// hold_until() holds every caller until a time (a server's Retry-After answers
// for the host, not for the one connection that received it).
// Thread-safe: every member may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace soi {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // The window the count holds over: 1 s plus 1% (the sustained rate at the cap is ~1% below it).
  static constexpr std::chrono::milliseconds kWindow{1010};
  // requests_per_second <= 0: unlimited (acquire() returns at once).
  explicit RateLimiter(double requests_per_second);
  // Tests: an injectable clock and sleeper (the sleeper is given how long to wait).
  RateLimiter(double requests_per_second, std::function<Clock::time_point()> now,
              std::function<void(Clock::duration)> sleep);

  // Blocks until this caller may send one request: not before a hold ends,
  // then at the configured rate. Thread-safe.
  void acquire();

  // No token is handed out before `until`; tokens after it are spaced at the
  // rate (no burst banked during the hold). A hold ending earlier than the
  // current one changes nothing. Works with an unlimited rate too.
  void hold_until(Clock::time_point until);
  // hold_until(now + d), on the limiter's clock.
  void pause_for(Clock::duration d);
  Clock::time_point held_until() const;  // the latest hold's end (the clock's epoch: none)

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
  Clock::time_point hold_until_{};
  // The due times of the last floor(rate) tokens (a ring; oldest at window_next_ once full).
  std::vector<Clock::time_point> window_;
  std::size_t window_cap_ = 0;
  std::size_t window_next_ = 0;
  std::uint64_t acquired_ = 0;
};

}  // namespace soi
