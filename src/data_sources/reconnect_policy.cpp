#include "data_sources/reconnect_policy.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

#include "config/config.hpp"

namespace soi {

ReconnectPolicy ReconnectPolicy::from_retry(const RetryPolicy& retry) {
  ReconnectPolicy p;
  p.initial_delay = std::chrono::milliseconds(retry.initial_backoff_ms);
  p.max_delay = std::chrono::milliseconds(retry.max_backoff_ms);
  p.multiplier = retry.backoff_multiplier;
  p.jitter = retry.jitter;
  return p;
}

ReconnectBackoff::ReconnectBackoff(ReconnectPolicy policy, RandomSource random)
    : policy_(policy), random_(std::move(random)) {
  if (!random_) {
    auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
    random_ = [rng] { return std::uniform_real_distribution<double>(0.0, 1.0)(*rng); };
  }
}

std::chrono::milliseconds ReconnectBackoff::base_delay(int attempt) const {
  const double max_ms = static_cast<double>(std::max<std::int64_t>(0, policy_.max_delay.count()));
  double ms = static_cast<double>(std::max<std::int64_t>(0, policy_.initial_delay.count())) *
              std::pow(std::max(1.0, policy_.multiplier), std::max(0, attempt - 1));
  if (!(ms <= max_ms)) ms = max_ms;  // also catches inf/nan
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

std::optional<std::chrono::milliseconds> ReconnectBackoff::next_delay(bool rate_limited) {
  if (policy_.max_attempts > 0 && attempts_ >= policy_.max_attempts) return std::nullopt;
  ++attempts_;
  const double jitter = std::clamp(policy_.jitter, 0.0, 1.0);
  const double u = std::clamp(random_(), 0.0, 1.0);
  double ms = static_cast<double>(base_delay(attempts_).count()) * (1.0 + jitter * (2.0 * u - 1.0));
  ms = std::clamp(ms, 0.0, static_cast<double>(std::max<std::int64_t>(0, policy_.max_delay.count())));
  auto delay = std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms)));
  if (rate_limited) delay = std::max(delay, policy_.rate_limited_delay);
  return delay;
}

void ReconnectBackoff::on_disconnected(std::chrono::milliseconds uptime) {
  if (uptime >= policy_.stable_after) attempts_ = 0;
}

}  // namespace soi
