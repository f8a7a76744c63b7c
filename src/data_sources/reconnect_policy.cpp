#include "data_sources/reconnect_policy.hpp"

#include <algorithm>

#include "config/retry_backoff.hpp"

namespace soi {

ReconnectPolicy ReconnectPolicy::from_retry(const RetryPolicy& retry) {
  ReconnectPolicy p;
  p.backoff = backoff_policy(retry);
  return p;
}

ReconnectBackoff::ReconnectBackoff(ReconnectPolicy policy, RandomSource random)
    : policy_(policy), backoff_(policy.backoff, std::move(random)) {}

std::optional<std::chrono::milliseconds> ReconnectBackoff::next_delay(bool rate_limited) {
  if (policy_.max_attempts > 0 && attempts_ >= policy_.max_attempts) return std::nullopt;
  ++attempts_;
  auto delay = backoff_.delay(attempts_);
  if (rate_limited) delay = std::max(delay, policy_.rate_limited_delay);
  return delay;
}

void ReconnectBackoff::on_disconnected(std::chrono::milliseconds uptime) {
  if (uptime >= policy_.stable_after) attempts_ = 0;
}

}  // namespace soi
