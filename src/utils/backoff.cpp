#include "utils/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

namespace soi {

UniformSource seeded_uniform_source(std::uint64_t seed) {
  auto rng = std::make_shared<std::mt19937_64>(seed);
  return [rng] { return std::uniform_real_distribution<double>(0.0, 1.0)(*rng); };
}

UniformSource random_uniform_source() { return seeded_uniform_source(std::random_device{}()); }

namespace {

double max_ms(const BackoffPolicy& policy) {
  return static_cast<double>(std::max<std::int64_t>(0, policy.max.count()));
}

}  // namespace

std::chrono::milliseconds backoff_base_delay(const BackoffPolicy& policy, int attempt) {
  double ms = static_cast<double>(std::max<std::int64_t>(0, policy.initial.count())) *
              std::pow(std::max(1.0, policy.multiplier), std::max(0, attempt - 1));
  if (!(ms <= max_ms(policy))) ms = max_ms(policy);  // also catches inf/nan
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int attempt, double u) {
  const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  u = u >= 0.0 ? std::min(u, 1.0) : 0.0;  // nan too
  double ms = static_cast<double>(backoff_base_delay(policy, attempt).count()) * (1.0 + jitter * (2.0 * u - 1.0));
  ms = std::clamp(ms, 0.0, max_ms(policy));
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms)));
}

Backoff::Backoff(BackoffPolicy policy, UniformSource random) : policy_(policy), random_(std::move(random)) {
  if (!random_) random_ = random_uniform_source();
}

std::chrono::milliseconds Backoff::delay(int attempt) { return backoff_delay(policy_, attempt, random_()); }

}  // namespace soi
