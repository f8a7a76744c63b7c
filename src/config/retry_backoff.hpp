// The backoff of retry_policy.yaml: initial_backoff_ms, max_backoff_ms,
// backoff_multiplier and jitter as the one BackoffPolicy every retry loop uses.
#pragma once

#include "config/config.hpp"
#include "utils/backoff.hpp"

namespace soi {

BackoffPolicy backoff_policy(const RetryPolicy& retry);

}  // namespace soi
