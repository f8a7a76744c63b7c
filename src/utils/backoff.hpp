// Exponential backoff with jitter: the one delay rule for every retry of the
// program (REST requests, PostgreSQL reconnects and retries, WebSocket
// reconnects). What a caller adds on top stays with it: Retry-After (REST),
// attempt limits and the connection-limit floor (WebSocket).
//
// The delay of attempt n (1-based) is initial * multiplier^(n-1), capped at
// max, then scaled by a factor drawn uniformly from [1 - jitter, 1 + jitter]
// and capped at max again: max is an upper bound of every delay. Out-of-range
// settings are clamped (negative durations to 0, multiplier below 1 to 1,
// jitter to [0, 1]); nothing overflows for any attempt.
//
// backoff_delay() is a pure function. A Backoff carries its random source and
// is not thread-safe: one per caller (RestClient, PostgresSink, WsReader each
// own theirs).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace soi {

struct BackoffPolicy {
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds max{30000};
  double multiplier = 2.0;
  double jitter = 0.2;  // each delay is scaled by a factor in [1 - jitter, 1 + jitter]
  // From retry_policy.yaml: config/retry_backoff.hpp (utils sees no configuration).
};

// Uniform in [0, 1); values outside are clamped.
using UniformSource = std::function<double()>;

// A std::mt19937_64 seeded with `seed`: the same sequence every time (tests).
UniformSource seeded_uniform_source(std::uint64_t seed);
// Seeded from std::random_device.
UniformSource random_uniform_source();

// The un-jittered delay of attempt n (1-based; n < 1 counts as 1), capped at max.
std::chrono::milliseconds backoff_base_delay(const BackoffPolicy& policy, int attempt);
// The delay of attempt n for a uniform draw `u` in [0, 1): u = 0.5 is the base delay.
std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int attempt, double u);

class Backoff {
 public:
  // An empty `random` means random_uniform_source().
  explicit Backoff(BackoffPolicy policy = {}, UniformSource random = {});

  // The jittered delay of attempt n (1-based): one draw from the random source.
  std::chrono::milliseconds delay(int attempt);
  std::chrono::milliseconds base_delay(int attempt) const { return backoff_base_delay(policy_, attempt); }
  const BackoffPolicy& policy() const { return policy_; }

 private:
  BackoffPolicy policy_;
  UniformSource random_;
};

}  // namespace soi
