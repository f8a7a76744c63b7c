// OrderedTurns: no more holders than permits, each on a seat of its own, and a
// free turn goes to the lowest waiting key.
#include "utils/ordered_turns.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace soi {
namespace {

using namespace std::chrono_literals;

// Waits until `done` holds, for at most a few seconds (a stuck test fails, not hangs).
template <typename Done>
bool eventually(Done done) {
  for (int i = 0; i < 500 && !done(); ++i) std::this_thread::sleep_for(10ms);
  return done();
}

TEST(OrderedTurns, AFreeTurnGoesToTheLowestWaitingKey) {
  OrderedTurns turns(1);
  OrderedTurns::Turn held = turns.take(100);
  std::mutex mutex;
  std::vector<std::int64_t> order;
  std::vector<std::thread> waiters;
  std::atomic<int> started{0};
  // Queued highest first: the order they run in is the keys', not the arrivals'.
  for (const std::int64_t key : {50, 40, 30, 20, 10}) {
    waiters.emplace_back([&, key] {
      ++started;
      const OrderedTurns::Turn turn = turns.take(key);
      std::lock_guard lock(mutex);
      order.push_back(key);
    });
    // Each waiter queued before the next starts.
    ASSERT_TRUE(eventually([&] { return started.load() == static_cast<int>(waiters.size()); }));
    std::this_thread::sleep_for(20ms);
  }
  held = OrderedTurns::Turn();  // released
  for (auto& t : waiters) t.join();
  EXPECT_EQ(order, (std::vector<std::int64_t>{10, 20, 30, 40, 50}));
}

TEST(OrderedTurns, NoMoreHoldersThanPermitsEachOnASeatOfItsOwn) {
  constexpr std::size_t kPermits = 3;
  OrderedTurns turns(kPermits);
  EXPECT_EQ(turns.permits(), kPermits);
  std::mutex mutex;
  std::set<std::size_t> seats_in_use;
  std::size_t most_at_once = 0;
  bool seat_shared = false;
  bool seat_out_of_range = false;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const OrderedTurns::Turn turn = turns.take(t * 1000 + i);
        {
          std::lock_guard lock(mutex);
          if (turn.seat() >= kPermits) seat_out_of_range = true;
          if (!seats_in_use.insert(turn.seat()).second) seat_shared = true;
          most_at_once = std::max(most_at_once, seats_in_use.size());
        }
        std::this_thread::sleep_for(100us);
        std::lock_guard lock(mutex);
        seats_in_use.erase(turn.seat());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(seat_shared);
  EXPECT_FALSE(seat_out_of_range);
  EXPECT_LE(most_at_once, kPermits);
  EXPECT_GE(most_at_once, 2u);  // the permits are used, not one holder at a time
}

TEST(OrderedTurns, EqualKeysAreServedInArrivalOrderAndAMovedTurnIsReleasedOnce) {
  OrderedTurns turns(1);
  OrderedTurns::Turn first = turns.take(7);
  EXPECT_TRUE(first.held());
  OrderedTurns::Turn moved = std::move(first);
  EXPECT_FALSE(first.held());  // NOLINT(bugprone-use-after-move): the point of the test
  EXPECT_TRUE(moved.held());
  std::mutex mutex;
  std::vector<int> order;
  std::atomic<int> started{0};
  std::vector<std::thread> waiters;
  for (int arrival = 0; arrival < 3; ++arrival) {
    waiters.emplace_back([&, arrival] {
      ++started;
      const OrderedTurns::Turn turn = turns.take(7);
      std::lock_guard lock(mutex);
      order.push_back(arrival);
    });
    ASSERT_TRUE(eventually([&] { return started.load() == arrival + 1; }));
    std::this_thread::sleep_for(20ms);
  }
  moved = OrderedTurns::Turn();
  for (auto& t : waiters) t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  // One permit, released exactly once: a new take gets it at once, and only one.
  OrderedTurns::Turn again = turns.take(1);
  EXPECT_EQ(again.seat(), 0u);
}

TEST(OrderedTurns, ZeroPermitsMeansOne) {
  OrderedTurns turns(0);
  EXPECT_EQ(turns.permits(), 1u);
  const OrderedTurns::Turn turn = turns.take(0);
  EXPECT_TRUE(turn.held());
}

}  // namespace
}  // namespace soi
