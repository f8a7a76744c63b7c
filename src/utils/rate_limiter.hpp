// Per-host request rate limit shared by every client (and thread) talking to
// one host: a token bucket refilled at `requests_per_second` with a small burst,
// and never more than `requests_per_second` requests in any window of
// kWindow (one second plus a guard for network jitter).
//
// The server counts requests when they arrive, not when we grant them: a
// request granted on time may leave late (its thread was not scheduled, its
// connection was being opened), and then it arrives close to requests granted
// a second later. So the window holds departures: acquire_permit() hands out a
// Permit, and the caller reports through Permit::sent() when the request
// actually left (curl's pre-transfer time). Until then the permit's place in
// the window is pending, and the caller that would reuse that place (the
// rate-th after it) waits for the report: it then leaves no sooner than
// kWindow after that departure. A permit destroyed unreported counts as sent
// at its destruction.
//
// acquire() takes one token and counts it as sent when it returns (callers
// that send at once). Both sleep (outside the lock) until the token is due.
// hold_until() holds every caller until a time (a server's Retry-After answers
// for the host, not for the one connection that received it).
// Thread-safe: every member may be called from any thread; a Permit belongs to
// one thread at a time and must not outlive its limiter.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace soi {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // The window the count holds over: 1 s plus 2.5% (the sustained rate at the cap is that
  // much below it). A server on a busy machine reads some requests several ms late: with 1%,
  // one year-long run's log showed 51 requests within a second, and in another the closest
  // 51 consecutive arrivals were 1,006 ms apart.
  static constexpr std::chrono::milliseconds kWindow{1025};
  // requests_per_second <= 0: unlimited (acquire() returns at once).
  explicit RateLimiter(double requests_per_second);
  // Tests: an injectable clock and sleeper (the sleeper is given how long to wait).
  RateLimiter(double requests_per_second, std::function<Clock::time_point()> now,
              std::function<void(Clock::duration)> sleep);

  // One granted request's place in the window, until its departure is known.
  class Permit {
   public:
    Permit() = default;
    Permit(Permit&& other) noexcept;
    Permit& operator=(Permit&& other) noexcept;
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    ~Permit();
    // The request left at `at` (not earlier than the grant). Once per permit;
    // later calls do nothing.
    void sent(Clock::time_point at);

   private:
    friend class RateLimiter;
    Permit(RateLimiter* limiter, std::size_t place) : limiter_(limiter), place_(place) {}
    RateLimiter* limiter_ = nullptr;  // nullptr: nothing to report (unlimited, or reported)
    std::size_t place_ = 0;
  };

  // Blocks until this caller may send one request: not before a hold ends,
  // then at the configured rate, and not before kWindow after the departure
  // of the request `rate` places earlier (waiting for its report if needed).
  [[nodiscard]] Permit acquire_permit();
  // acquire_permit(), sent as it returns.
  void acquire();

  // No token is handed out before `until`; tokens after it are spaced at the
  // rate (no burst banked during the hold). A hold ending earlier than the
  // current one changes nothing. Works with an unlimited rate too.
  void hold_until(Clock::time_point until);
  // hold_until(now + d), on the limiter's clock.
  void pause_for(Clock::duration d);
  Clock::time_point held_until() const;  // the latest hold's end (the clock's epoch: none)

  Clock::time_point now() const { return now_(); }  // the limiter's clock
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
  void report_sent(std::size_t place, Clock::time_point at);

  std::condition_variable reported_;
  // One of the last floor(rate) tokens: when its request left, or, while
  // pending (not yet reported), when it was granted.
  struct Place {
    Clock::time_point left;
    bool pending = true;
  };
  std::vector<Place> window_;  // a ring; oldest at window_next_ once full
  std::size_t window_cap_ = 0;
  std::size_t window_next_ = 0;
  std::uint64_t acquired_ = 0;
};

}  // namespace soi
