// Between WebSocket reconnects: the program's backoff (utils/backoff) plus
// what only reconnects have: an attempt limit, a reset after a stable
// connection and a floor after the account's connection limit. The random
// source is injectable so tests get exact delays. Not thread-safe: one per reader.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "utils/backoff.hpp"

namespace soi {

struct RetryPolicy;  // config/config.hpp

struct ReconnectPolicy {
  BackoffPolicy backoff;    // the delay of each attempt
  int max_attempts = 0;     // consecutive failed attempts before giving up; 0 = never give up
  // A connection that stayed up this long resets the attempt count.
  std::chrono::milliseconds stable_after{60000};
  // Floor after the server refused for the account's connection limit
  // (max_connections): another process is holding the slot.
  std::chrono::milliseconds rate_limited_delay{60000};

  // The backoff of retry_policy.yaml (config/retry_backoff); attempts unlimited.
  static ReconnectPolicy from_retry(const RetryPolicy& retry);
};

class ReconnectBackoff {
 public:
  // Uniform in [0, 1). Default: a std::mt19937_64 seeded from std::random_device.
  using RandomSource = UniformSource;

  explicit ReconnectBackoff(ReconnectPolicy policy = {}, RandomSource random = {});

  // The wait before the next attempt, counting it; nullopt once max_attempts
  // consecutive attempts have failed. rate_limited: the last failure was the
  // account's connection limit, wait at least rate_limited_delay.
  std::optional<std::chrono::milliseconds> next_delay(bool rate_limited = false);

  // A connection (and its subscription) succeeded and then ended after `uptime`:
  // resets the count when the connection was stable.
  void on_disconnected(std::chrono::milliseconds uptime);
  void reset() { attempts_ = 0; }

  int attempts() const { return attempts_; }
  const ReconnectPolicy& policy() const { return policy_; }

  // The un-jittered delay of attempt n (1-based), capped at backoff.max.
  std::chrono::milliseconds base_delay(int attempt) const { return backoff_.base_delay(attempt); }

 private:
  ReconnectPolicy policy_;
  Backoff backoff_;
  int attempts_ = 0;
};

}  // namespace soi
