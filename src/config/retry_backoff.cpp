#include "config/retry_backoff.hpp"

namespace soi {

BackoffPolicy backoff_policy(const RetryPolicy& retry) {
  BackoffPolicy p;
  p.initial = std::chrono::milliseconds(retry.initial_backoff_ms);
  p.max = std::chrono::milliseconds(retry.max_backoff_ms);
  p.multiplier = retry.backoff_multiplier;
  p.jitter = retry.jitter;
  return p;
}

}  // namespace soi
