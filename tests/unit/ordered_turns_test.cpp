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

// Threads that each take a turn and record their label once they hold it.
struct Takers {
  OrderedTurns& turns;
  std::mutex mutex;
  std::vector<std::int64_t> order;
  std::vector<std::thread> threads;

  // Starts a taker and returns once it is queued, so arrivals are in call order.
  void start(std::int64_t key, std::int64_t label) {
    const std::size_t queued = turns.waiting();
    threads.emplace_back([this, key, label] {
      const OrderedTurns::Turn turn = turns.take(key);
      std::lock_guard lock(mutex);
      order.push_back(label);
    });
    EXPECT_TRUE(eventually([&] { return turns.waiting() == queued + 1; }));
  }
  void join() {
    for (auto& t : threads) t.join();
    threads.clear();
  }
  ~Takers() { join(); }
};

TEST(OrderedTurns, AFreeTurnGoesToTheLowestWaitingKey) {
  OrderedTurns turns(1);
  OrderedTurns::Turn held = turns.take(100);
  Takers takers{turns};
  // Queued highest first: the order they run in is the keys', not the arrivals'.
  for (const std::int64_t key : {50, 40, 30, 20, 10}) takers.start(key, key);
  EXPECT_TRUE(takers.order.empty());  // nobody runs while the turn is held
  held = OrderedTurns::Turn();        // released
  takers.join();
  EXPECT_EQ(takers.order, (std::vector<std::int64_t>{10, 20, 30, 40, 50}));
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

TEST(OrderedTurns, EqualKeysAreServedInArrivalOrder) {
  OrderedTurns turns(1);
  OrderedTurns::Turn held = turns.take(7);
  Takers takers{turns};
  for (std::int64_t arrival = 0; arrival < 3; ++arrival) takers.start(7, arrival);
  held = OrderedTurns::Turn();
  takers.join();
  EXPECT_EQ(takers.order, (std::vector<std::int64_t>{0, 1, 2}));
}

TEST(OrderedTurns, AMovedTurnIsReleasedOnceByItsLastHolder) {
  OrderedTurns turns(1);
  OrderedTurns::Turn first = turns.take(1);
  OrderedTurns::Turn moved = std::move(first);
  EXPECT_FALSE(first.held());  // NOLINT(bugprone-use-after-move): the point of the test
  EXPECT_TRUE(moved.held());
  first = OrderedTurns::Turn();  // the moved-from turn releases nothing
  Takers takers{turns};
  takers.start(2, 2);
  std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(takers.order.empty());  // the one permit is still held, by `moved`
  moved = OrderedTurns::Turn();
  takers.join();
  EXPECT_EQ(takers.order, (std::vector<std::int64_t>{2}));
  // Released once: one permit, so a second taker waits while a turn is held.
  OrderedTurns::Turn again = turns.take(3);
  takers.start(4, 4);
  std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(takers.order.size() == 1);
  again = OrderedTurns::Turn();
  takers.join();
  EXPECT_EQ(takers.order, (std::vector<std::int64_t>{2, 4}));
}

TEST(OrderedTurns, ZeroPermitsMeansOne) {
  OrderedTurns turns(0);
  EXPECT_EQ(turns.permits(), 1u);
  const OrderedTurns::Turn turn = turns.take(0);
  EXPECT_TRUE(turn.held());
  EXPECT_EQ(turns.waiting(), 0u);
}

}  // namespace
}  // namespace soi
