#include "data_sources/reconnect_policy.hpp"

#include <gtest/gtest.h>

#include "config/config.hpp"

namespace soi {
namespace {

using std::chrono::milliseconds;

ReconnectBackoff fixed(ReconnectPolicy p, double u) {
  return ReconnectBackoff(p, [u] { return u; });
}

TEST(ReconnectPolicyTest, ExponentialWithoutJitterAtMidpoint) {
  ReconnectPolicy p;
  p.backoff.initial = milliseconds(500);
  p.backoff.max = milliseconds(5000);
  auto b = fixed(p, 0.5);  // 0.5 -> factor exactly 1
  EXPECT_EQ(b.next_delay(), milliseconds(500));
  EXPECT_EQ(b.next_delay(), milliseconds(1000));
  EXPECT_EQ(b.next_delay(), milliseconds(2000));
  EXPECT_EQ(b.next_delay(), milliseconds(4000));
  EXPECT_EQ(b.next_delay(), milliseconds(5000));  // capped
  EXPECT_EQ(b.next_delay(), milliseconds(5000));
  EXPECT_EQ(b.attempts(), 6);
  EXPECT_EQ(b.base_delay(1000), milliseconds(5000));  // no overflow
}

TEST(ReconnectPolicyTest, JitterBoundsAndCap) {
  ReconnectPolicy p;
  p.backoff.initial = milliseconds(1000);
  p.backoff.max = milliseconds(1100);
  p.backoff.jitter = 0.2;
  EXPECT_EQ(fixed(p, 0.0).next_delay(), milliseconds(800));
  EXPECT_EQ(fixed(p, 0.999999).next_delay(), milliseconds(1100));  // 1200 capped at max
  EXPECT_EQ(fixed(p, 0.25).next_delay(), milliseconds(900));
  // The default random source stays inside the bounds.
  ReconnectBackoff b(p);
  for (int i = 0; i < 100; ++i) {
    b.reset();
    auto d = b.next_delay();
    ASSERT_TRUE(d);
    EXPECT_GE(*d, milliseconds(800));
    EXPECT_LE(*d, milliseconds(1100));
  }
}

TEST(ReconnectPolicyTest, GivesUpAfterMaxAttemptsAndStableConnectionsReset) {
  ReconnectPolicy p;
  p.max_attempts = 2;
  p.stable_after = milliseconds(60000);
  auto b = fixed(p, 0.5);
  EXPECT_TRUE(b.next_delay());
  EXPECT_TRUE(b.next_delay());
  EXPECT_FALSE(b.next_delay());
  b.on_disconnected(milliseconds(5000));  // short-lived: still counts
  EXPECT_FALSE(b.next_delay());
  b.on_disconnected(milliseconds(60000));
  EXPECT_EQ(b.attempts(), 0);
  EXPECT_EQ(b.next_delay(), p.backoff.initial);
}

TEST(ReconnectPolicyTest, RateLimitedWaitsAtLeastTheFloor) {
  ReconnectPolicy p;
  p.rate_limited_delay = milliseconds(60000);
  auto b = fixed(p, 0.5);
  EXPECT_EQ(b.next_delay(true), milliseconds(60000));
  EXPECT_EQ(b.next_delay(false), milliseconds(1000));
}

TEST(ReconnectPolicyTest, FromRetryPolicy) {
  RetryPolicy r;
  r.initial_backoff_ms = 250;
  r.max_backoff_ms = 8000;
  r.backoff_multiplier = 3;
  r.jitter = 0.1;
  auto p = ReconnectPolicy::from_retry(r);
  EXPECT_EQ(p.backoff.initial, milliseconds(250));
  EXPECT_EQ(p.backoff.max, milliseconds(8000));
  EXPECT_DOUBLE_EQ(p.backoff.multiplier, 3);
  EXPECT_DOUBLE_EQ(p.backoff.jitter, 0.1);
  EXPECT_EQ(p.max_attempts, 0);
  auto b = fixed(p, 0.5);
  b.next_delay();
  EXPECT_EQ(b.next_delay(), milliseconds(750));
}

}  // namespace
}  // namespace soi
