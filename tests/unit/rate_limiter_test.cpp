// The per-host token bucket: rate over a window (virtual clock), burst,
// unlimited, and concurrent callers (real clock, generous bounds).
#include "utils/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "data_sources/rest_client.hpp"
#include "simulator/http_server.hpp"
#include "utils/redact.hpp"

namespace soi {
namespace {

using Clock = RateLimiter::Clock;
using std::chrono::milliseconds;

// A virtual clock: sleeping advances it, nothing really waits.
struct VirtualTime {
  Clock::time_point now = Clock::time_point{} + std::chrono::hours(1);
  Clock::duration slept{};
  RateLimiter make(double rate) { return RateLimiter(rate, clock(), sleeper()); }
  // One to share between clients.
  std::shared_ptr<RateLimiter> shared(double rate) { return std::make_shared<RateLimiter>(rate, clock(), sleeper()); }
  std::function<Clock::time_point()> clock() {
    return [this] { return now; };
  }
  std::function<void(Clock::duration)> sleeper() {
    return [this](Clock::duration d) {
      now += d;
      slept += d;
    };
  }
};

TEST(RateLimiter, HoldsTheRateOverAWindow) {
  VirtualTime t;
  RateLimiter limiter = t.make(50);
  const auto start = t.now;
  for (int i = 0; i < 500; ++i) limiter.acquire();
  const double seconds = std::chrono::duration<double>(t.now - start).count();
  // 500 requests at 50/s: about 10 s, minus the initial burst.
  EXPECT_GE(seconds, (500 - limiter.burst()) / 50.0 - 0.05);
  EXPECT_LE(seconds, 500 / 50.0 * (RateLimiter::kWindow / std::chrono::duration<double>(1.0)) + 0.05);
  EXPECT_EQ(limiter.acquired(), 500u);
}

TEST(RateLimiter, BurstIsSmallAndIdleTimeBanksAtMostTheBurst) {
  VirtualTime t;
  RateLimiter limiter = t.make(50);
  EXPECT_GE(limiter.burst(), 1.0);
  EXPECT_LE(limiter.burst(), 10.0);
  const auto burst = static_cast<int>(limiter.burst());
  for (int i = 0; i < burst; ++i) limiter.acquire();
  EXPECT_EQ(t.slept, Clock::duration::zero());  // the burst passes at once
  limiter.acquire();
  EXPECT_GT(t.slept, Clock::duration::zero());  // then the rate applies

  t.now += std::chrono::hours(1);  // a long idle period
  const auto before = t.slept;
  for (int i = 0; i < burst; ++i) limiter.acquire();
  EXPECT_EQ(t.slept, before);
  const auto start = t.now;
  for (int i = 0; i < 100; ++i) limiter.acquire();
  EXPECT_GE(std::chrono::duration<double>(t.now - start).count(), 100 / 50.0 - 0.05);
}

TEST(RateLimiter, OneRequestPerSecond) {
  VirtualTime t;
  RateLimiter limiter = t.make(1);
  EXPECT_EQ(limiter.burst(), 1.0);
  const auto start = t.now;
  for (int i = 0; i < 5; ++i) limiter.acquire();
  // One window (a second and its jitter guard) apart.
  EXPECT_NEAR(std::chrono::duration<double>(t.now - start).count(),
              4 * std::chrono::duration<double>(RateLimiter::kWindow).count(), 1e-6);
}

TEST(RateLimiter, ZeroIsUnlimited) {
  VirtualTime t;
  RateLimiter limiter = t.make(0);
  for (int i = 0; i < 100000; ++i) limiter.acquire();
  EXPECT_EQ(t.slept, Clock::duration::zero());
  EXPECT_EQ(limiter.acquired(), 100000u);
  RateLimiter negative(-5);
  negative.acquire();  // also unlimited, returns at once
  EXPECT_EQ(negative.rate(), 0.0);
}

TEST(RateLimiter, ConcurrentCallersShareOneBudget) {
  // Real clock: 8 threads x 25 requests at 400/s take at least ~0.45 s together.
  RateLimiter limiter(400);
  std::atomic<int> done{0};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        limiter.acquire();
        ++done;
      }
    });
  for (auto& th : threads) th.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_EQ(done.load(), 200);
  EXPECT_EQ(limiter.acquired(), 200u);
  EXPECT_GE(seconds, (200 - limiter.burst()) / 400.0 - 0.02);
  EXPECT_LT(seconds, 10.0);  // generous: no deadlock, no serialisation of the sleeps
}

TEST(RateLimiter, EveryExchangeOfARestClientAcquiresRetriesIncluded) {
  sim::SimulatorOptions options;
  options.config.faults = {"server_error:status=503:first=2:path=/v1/open-close"};
  sim::SimulatorServer server(options);
  server.start();
  RetryPolicy policy;
  RestClient client(server.base_url(), "limiter-test-key-1234", policy);
  client.set_sleeper([](int) {});
  VirtualTime t;
  auto limiter = t.shared(2.0);
  client.set_rate_limiter(limiter);
  EXPECT_EQ(client.rate_limiter(), limiter);
  client.get("/v1/open-close/SPY/2025-01-17?adjusted=true", {});  // 503, 503, 200
  EXPECT_EQ(limiter->acquired(), 3u);
  EXPECT_EQ(client.stats().requests, 3u);
  EXPECT_GT(t.slept, Clock::duration::zero());
  server.stop();
  clear_secrets();
}

TEST(RateLimiter, NoWindowOfOneSecondEverHoldsMoreThanTheRate) {
  // The burst is paid back: in any window of one second (plus the jitter guard)
  // at most `rate` tokens, however the calls are spread.
  for (const double rate : {1.0, 5.0, 20.0, 50.0, 333.0}) {
    VirtualTime t;
    RateLimiter limiter = t.make(rate);
    std::vector<Clock::time_point> handed;
    for (int i = 0; i < 2000; ++i) {
      if (i % 97 == 0) t.now += milliseconds(1500);  // idle spells bank the burst again
      limiter.acquire();
      handed.push_back(t.now);
    }
    std::size_t first = 0;
    for (std::size_t last = 0; last < handed.size(); ++last) {
      while (handed[last] - handed[first] >= RateLimiter::kWindow) ++first;
      ASSERT_LE(last - first + 1, static_cast<std::size_t>(rate)) << "rate " << rate << " at token " << last;
    }
  }
}

TEST(RateLimiter, TheWindowCountsWhenARequestLeftNotWhenItWasGranted) {
  // Five places at 5/s: the first request leaves 400 ms after its grant (its
  // connection was being opened). The sixth may not leave until a window after
  // that departure, or the server would see six arrive within one second.
  VirtualTime t;
  RateLimiter limiter = t.make(5);
  std::vector<RateLimiter::Permit> permits;
  for (int i = 0; i < 5; ++i) permits.push_back(limiter.acquire_permit());
  const auto late_departure = t.now + milliseconds(400);
  permits[0].sent(late_departure);
  for (std::size_t i = 1; i < permits.size(); ++i) permits[i].sent(t.now);
  RateLimiter::Permit sixth = limiter.acquire_permit();
  EXPECT_GE(t.now, late_departure + RateLimiter::kWindow);
  sixth.sent(t.now);
}

TEST(RateLimiter, ThePlaceOfARequestNotYetSentIsWaitedFor) {
  // The sixth caller at 5/s reuses the first request's place; while that request
  // has not reported its departure, the sixth waits (it cannot know when the
  // window ends), then leaves a window after the reported departure.
  VirtualTime t;
  RateLimiter limiter = t.make(5);
  std::vector<RateLimiter::Permit> permits;
  for (int i = 0; i < 5; ++i) permits.push_back(limiter.acquire_permit());
  for (std::size_t i = 1; i < permits.size(); ++i) permits[i].sent(t.now);
  const auto departure = t.now + milliseconds(2500);
  std::atomic<bool> passed{false};
  Clock::time_point sixth_left{};
  std::thread sixth([&] {
    limiter.acquire();
    sixth_left = t.now;
    passed = true;
  });
  std::this_thread::sleep_for(milliseconds(150));  // real time: the sixth is blocked, not sleeping
  EXPECT_FALSE(passed.load());
  permits[0].sent(departure);
  sixth.join();
  EXPECT_TRUE(passed.load());
  EXPECT_GE(sixth_left, departure + RateLimiter::kWindow);
}

TEST(RateLimiter, APermitDroppedUnreportedCountsAsSentWhenDropped) {
  VirtualTime t;
  RateLimiter limiter = t.make(2);
  { RateLimiter::Permit dropped = limiter.acquire_permit(); }
  const auto dropped_at = t.now;
  limiter.acquire();
  limiter.acquire();  // reuses the dropped permit's place: a window after it
  EXPECT_GE(t.now, dropped_at + RateLimiter::kWindow);
}

TEST(RateLimiter, AHoldStopsEveryCallerUntilItEndsThenTheRateResumesWithoutBurst) {
  VirtualTime t;
  RateLimiter limiter = t.make(50);
  limiter.acquire();
  const auto hold_end = t.now + std::chrono::seconds(3);
  limiter.hold_until(hold_end);
  EXPECT_EQ(limiter.held_until(), hold_end);
  limiter.acquire();
  EXPECT_EQ(t.now, hold_end);  // not one token before the hold ends
  // After the hold, one interval apart: the burst was not banked while held.
  for (int i = 0; i < 10; ++i) limiter.acquire();
  EXPECT_NEAR(std::chrono::duration<double>(t.now - hold_end).count(), 10 / 50.0, 1e-6);
}

TEST(RateLimiter, AnEarlierHoldDoesNotShortenALaterOne) {
  VirtualTime t;
  RateLimiter limiter = t.make(10);
  limiter.pause_for(std::chrono::seconds(5));
  limiter.pause_for(std::chrono::seconds(1));
  EXPECT_EQ(limiter.held_until(), t.now + std::chrono::seconds(5));
  const auto start = t.now;
  limiter.acquire();
  EXPECT_EQ(t.now - start, std::chrono::seconds(5));
}

TEST(RateLimiter, AHoldAppliesToAnUnlimitedRateToo) {
  VirtualTime t;
  RateLimiter limiter = t.make(0);
  limiter.pause_for(std::chrono::seconds(2));
  const auto start = t.now;
  limiter.acquire();
  limiter.acquire();
  EXPECT_EQ(t.now - start, std::chrono::seconds(2));
}

TEST(RateLimiter, ConcurrentCallersAllWaitForAHold) {
  // Real clock: a 300 ms hold set while 4 threads wait to acquire holds all of them.
  RateLimiter limiter(0);
  const auto start = Clock::now();
  limiter.pause_for(milliseconds(300));
  std::vector<Clock::time_point> passed(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < passed.size(); ++i)
    threads.emplace_back([&, i] {
      limiter.acquire();
      passed[i] = Clock::now();
    });
  for (auto& th : threads) th.join();
  for (const auto& p : passed) EXPECT_GE(p - start, milliseconds(300));
}

TEST(RateLimiter, RetryAfterFromOneClientHoldsEveryClientOfTheHost) {
  sim::SimulatorOptions options;
  options.config.faults = {"rate_limit:first=1:retry_after=2:path=/v1/open-close"};
  sim::SimulatorServer server(options);
  server.start();
  RetryPolicy policy;
  RestClient answered(server.base_url(), "limiter-test-key-1234", policy);
  RestClient other(server.base_url(), "limiter-test-key-1234", policy);
  std::vector<int> own_sleeps;
  answered.set_sleeper([&](int ms) { own_sleeps.push_back(ms); });
  VirtualTime t;
  auto limiter = t.shared(0.0);
  answered.set_rate_limiter(limiter);
  other.set_rate_limiter(limiter);
  const auto start = t.now;
  answered.get("/v1/open-close/SPY/2025-01-17?adjusted=true", {});  // 429 Retry-After: 2, then 200
  // The wait happened in the shared limiter, not in the client's own sleep.
  EXPECT_EQ(t.now - start, std::chrono::seconds(2));
  for (int ms : own_sleeps) EXPECT_EQ(ms, 0);
  EXPECT_EQ(limiter->held_until(), start + std::chrono::seconds(2));
  // Another client of the host asking during the hold waits for it too.
  t.now = start;
  other.get("/v1/open-close/SPY/2025-01-16?adjusted=true", {});
  EXPECT_EQ(t.now - start, std::chrono::seconds(2));
  server.stop();
  clear_secrets();
}

}  // namespace
}  // namespace soi
