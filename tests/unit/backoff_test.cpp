#include "utils/backoff.hpp"

#include <gtest/gtest.h>

#include <climits>
#include <cmath>
#include <limits>
#include <vector>

#include "config/config.hpp"
#include "config/retry_backoff.hpp"

namespace soi {
namespace {

using std::chrono::milliseconds;

BackoffPolicy policy(int initial_ms, int max_ms, double multiplier, double jitter) {
  return BackoffPolicy{milliseconds(initial_ms), milliseconds(max_ms), multiplier, jitter};
}

TEST(BackoffTest, GrowsByTheMultiplierUntilTheCap) {
  const BackoffPolicy p = policy(250, 5000, 3.0, 0.2);
  EXPECT_EQ(backoff_base_delay(p, 1), milliseconds(250));
  EXPECT_EQ(backoff_base_delay(p, 2), milliseconds(750));
  EXPECT_EQ(backoff_base_delay(p, 3), milliseconds(2250));
  EXPECT_EQ(backoff_base_delay(p, 4), milliseconds(5000));  // 6750 capped
  EXPECT_EQ(backoff_base_delay(p, 60), milliseconds(5000));
  // No overflow however far the attempts go.
  EXPECT_EQ(backoff_base_delay(p, INT_MAX), milliseconds(5000));
  // u = 0.5 is the un-jittered delay.
  for (int n = 1; n <= 6; ++n) EXPECT_EQ(backoff_delay(p, n, 0.5), backoff_base_delay(p, n)) << n;
}

TEST(BackoffTest, AttemptsBelowOneCountAsTheFirst) {
  const BackoffPolicy p = policy(100, 1000, 2.0, 0.0);
  EXPECT_EQ(backoff_base_delay(p, 0), milliseconds(100));
  EXPECT_EQ(backoff_base_delay(p, -5), milliseconds(100));
}

TEST(BackoffTest, JitterSpansPlusMinusTheFraction) {
  const BackoffPolicy p = policy(1000, 60000, 2.0, 0.2);
  EXPECT_EQ(backoff_delay(p, 1, 0.0), milliseconds(800));
  EXPECT_EQ(backoff_delay(p, 1, 0.25), milliseconds(900));
  EXPECT_EQ(backoff_delay(p, 1, 0.75), milliseconds(1100));
  EXPECT_EQ(backoff_delay(p, 1, 0.999999), milliseconds(1200));
  EXPECT_EQ(backoff_delay(p, 2, 0.0), milliseconds(1600));
  // No jitter: every draw gives the base delay.
  const BackoffPolicy flat = policy(1000, 60000, 2.0, 0.0);
  EXPECT_EQ(backoff_delay(flat, 3, 0.0), milliseconds(4000));
  EXPECT_EQ(backoff_delay(flat, 3, 0.99), milliseconds(4000));
}

TEST(BackoffTest, MaxBoundsTheJitteredDelayToo) {
  const BackoffPolicy p = policy(1000, 1100, 2.0, 0.2);
  EXPECT_EQ(backoff_delay(p, 1, 0.999999), milliseconds(1100));  // 1200 capped
  EXPECT_EQ(backoff_delay(p, 5, 0.999999), milliseconds(1100));
  EXPECT_EQ(backoff_delay(p, 5, 0.0), milliseconds(880));  // the cap is jittered downwards
}

TEST(BackoffTest, OutOfRangeSettingsAndDrawsAreClamped) {
  EXPECT_EQ(backoff_delay(policy(-10, 1000, 2.0, 0.2), 3, 0.5), milliseconds(0));
  EXPECT_EQ(backoff_delay(policy(100, -1, 2.0, 0.2), 3, 0.5), milliseconds(0));
  EXPECT_EQ(backoff_base_delay(policy(100, 1000, 0.5, 0.0), 4), milliseconds(100));  // multiplier < 1: constant
  EXPECT_EQ(backoff_delay(policy(1000, 5000, 2.0, 3.0), 1, 0.0), milliseconds(0));     // jitter 1 at most
  EXPECT_EQ(backoff_delay(policy(1000, 5000, 2.0, 3.0), 1, 1.0), milliseconds(2000));
  const BackoffPolicy p = policy(1000, 5000, 2.0, 0.2);
  EXPECT_EQ(backoff_delay(p, 1, -4.0), milliseconds(800));
  EXPECT_EQ(backoff_delay(p, 1, 7.0), milliseconds(1200));
  EXPECT_EQ(backoff_delay(p, 1, std::nan("")), milliseconds(800));
  EXPECT_EQ(backoff_base_delay(policy(1000, 5000, std::numeric_limits<double>::infinity(), 0.0), 2),
            milliseconds(5000));
}

TEST(BackoffTest, InjectedSourceGivesExactDelays) {
  std::vector<double> draws{0.0, 0.5, 0.999999};
  std::size_t next = 0;
  Backoff b(policy(500, 30000, 2.0, 0.2), [&] { return draws[next++ % draws.size()]; });
  EXPECT_EQ(b.delay(1), milliseconds(400));
  EXPECT_EQ(b.delay(2), milliseconds(1000));
  EXPECT_EQ(b.delay(3), milliseconds(2400));
  EXPECT_EQ(next, 3u);
  EXPECT_EQ(b.base_delay(3), milliseconds(2000));
}

TEST(BackoffTest, SeededSourceIsDeterministicAndInRange) {
  const BackoffPolicy p = policy(1000, 60000, 2.0, 0.3);
  Backoff a(p, seeded_uniform_source(42));
  Backoff b(p, seeded_uniform_source(42));
  Backoff other(p, seeded_uniform_source(43));
  bool differs = false;
  for (int n = 1; n <= 200; ++n) {
    const int attempt = 1 + n % 8;
    const milliseconds da = a.delay(attempt);
    EXPECT_EQ(da, b.delay(attempt)) << n;
    differs |= da != other.delay(attempt);
    const auto base = static_cast<double>(backoff_base_delay(p, attempt).count());
    EXPECT_GE(da.count(), std::llround(base * 0.7)) << n;
    EXPECT_LE(da.count(), std::llround(base * 1.3)) << n;
  }
  EXPECT_TRUE(differs);  // another seed, another sequence
}

TEST(BackoffTest, DefaultSourceStaysWithinTheBoundsAndVaries) {
  const BackoffPolicy p = policy(1000, 60000, 2.0, 0.2);
  Backoff b(p);
  milliseconds lowest = milliseconds::max(), highest = milliseconds::min();
  for (int i = 0; i < 500; ++i) {
    const milliseconds d = b.delay(1);
    lowest = std::min(lowest, d);
    highest = std::max(highest, d);
  }
  EXPECT_GE(lowest, milliseconds(800));
  EXPECT_LE(highest, milliseconds(1200));
  EXPECT_LT(lowest, highest);  // 500 equal draws would mean no jitter at all
}

TEST(BackoffTest, FromRetryPolicy) {
  RetryPolicy r;
  r.initial_backoff_ms = 250;
  r.max_backoff_ms = 8000;
  r.backoff_multiplier = 3;
  r.jitter = 0.1;
  const BackoffPolicy p = backoff_policy(r);
  EXPECT_EQ(p.initial, milliseconds(250));
  EXPECT_EQ(p.max, milliseconds(8000));
  EXPECT_DOUBLE_EQ(p.multiplier, 3);
  EXPECT_DOUBLE_EQ(p.jitter, 0.1);
}

}  // namespace
}  // namespace soi
