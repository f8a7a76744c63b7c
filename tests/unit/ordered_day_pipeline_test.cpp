// The ordered day pipeline on its own: commits in index order whatever order
// the fetches finish in, days really fetched concurrently, bounded memory, a
// failed day handed over while the others are kept, a stop ends the claims,
// and no exception escapes a worker thread.
#include "orchestrator/ordered_day_pipeline.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace soi {
namespace {

using std::chrono::milliseconds;

// Counts the values alive at once (a moved-from value does not count): what
// the pipeline holds at any moment.
struct Tracked {
  static inline std::atomic<int> live{0};
  static inline std::atomic<int> peak{0};
  std::size_t index = 0;
  bool owner = true;
  explicit Tracked(std::size_t i) : index(i) { note(); }
  Tracked(Tracked&& o) noexcept : index(o.index), owner(o.owner) { o.owner = false; }
  Tracked(const Tracked&) = delete;
  Tracked& operator=(const Tracked&) = delete;
  Tracked& operator=(Tracked&& o) = delete;
  ~Tracked() {
    if (owner) --live;
  }
  static void note() {
    const int now = ++live;
    int seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
  }
};

using Pipeline = OrderedDayPipeline<Tracked>;

TEST(OrderedDayPipeline, CommitsInIndexOrderWhateverOrderTheFetchesFinish) {
  Pipeline pipeline(4);
  std::vector<std::size_t> committed;
  const std::size_t n = 12;
  const std::size_t handled = pipeline.run(
      n,
      [](std::size_t i, std::size_t) {
        // Later days finish first within each window of four.
        std::this_thread::sleep_for(milliseconds(static_cast<int>(4 - i % 4) * 5));
        return Tracked(i);
      },
      [&](std::size_t i, Pipeline::Day day) {
        EXPECT_FALSE(day.error);
        EXPECT_EQ(day.value->index, i);
        committed.push_back(i);
        return true;
      });
  EXPECT_EQ(handled, n);
  ASSERT_EQ(committed.size(), n);
  for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(committed[i], i);
}

TEST(OrderedDayPipeline, FetchesUpToMaxInFlightDaysAtOnce) {
  // Each fetch waits until four are inside at the same time: only a pipeline
  // that really runs four at once gets past it (a sequential one would time out).
  constexpr std::size_t kInFlight = 4;
  Pipeline pipeline(kInFlight);
  std::mutex mutex;
  std::condition_variable cv;
  std::size_t inside = 0;
  std::size_t most_inside = 0;
  std::atomic<bool> all_met{true};
  pipeline.run(
      8,
      [&](std::size_t i, std::size_t) {
        std::unique_lock lock(mutex);
        ++inside;
        most_inside = std::max(most_inside, inside);
        cv.notify_all();
        if (i < kInFlight && !cv.wait_for(lock, std::chrono::seconds(20), [&] { return most_inside >= kInFlight; }))
          all_met = false;
        --inside;
        return Tracked(i);
      },
      [](std::size_t, Pipeline::Day) { return true; });
  EXPECT_TRUE(all_met);
  EXPECT_EQ(most_inside, kInFlight);  // never more than max_in_flight
  EXPECT_LE(pipeline.peak_in_flight(), kInFlight);
}

TEST(OrderedDayPipeline, MemoryIsBoundedByTheDaysInFlightPlusTheOneBeingCommitted) {
  // A slow committer: fetchers race ahead as far as the window lets them.
  constexpr std::size_t kInFlight = 3;
  Tracked::live = 0;
  Tracked::peak = 0;
  Pipeline pipeline(kInFlight);
  std::atomic<std::size_t> fetched{0};
  std::size_t max_ahead = 0;
  pipeline.run(
      20, [&](std::size_t i, std::size_t) {
        ++fetched;
        return Tracked(i);
      },
      [&](std::size_t i, Pipeline::Day) {
        std::this_thread::sleep_for(milliseconds(3));
        max_ahead = std::max(max_ahead, fetched.load() - (i + 1));  // fetched beyond the one committed
        return true;
      });
  EXPECT_LE(max_ahead, kInFlight);
  EXPECT_LE(pipeline.peak_in_flight(), kInFlight);
  // Values alive at once: the days in flight plus the one being committed.
  EXPECT_LE(Tracked::peak.load(), static_cast<int>(kInFlight + 1));
  EXPECT_GE(Tracked::peak.load(), 2);
  EXPECT_EQ(Tracked::live.load(), 0);
}

TEST(OrderedDayPipeline, AFailedDayIsHandedOverAndTheOthersAreKept) {
  Pipeline pipeline(4);
  std::vector<std::size_t> ok;
  std::vector<std::string> failed;
  const std::size_t handled = pipeline.run(
      10,
      [](std::size_t i, std::size_t) {
        if (i == 3) throw std::runtime_error("day 3 failed");
        if (i == 6) throw 42;  // not even an exception class: still caught on its thread
        return Tracked(i);
      },
      [&](std::size_t i, Pipeline::Day day) {
        if (!day.error) {
          ok.push_back(i);
          return true;
        }
        try {
          std::rethrow_exception(day.error);
        } catch (const std::runtime_error& e) {
          failed.push_back(std::to_string(i) + ": " + e.what());
        } catch (int) {
          failed.push_back(std::to_string(i) + ": int");
        }
        return true;
      });
  EXPECT_EQ(handled, 10u);
  EXPECT_EQ(ok, (std::vector<std::size_t>{0, 1, 2, 4, 5, 7, 8, 9}));
  EXPECT_EQ(failed, (std::vector<std::string>{"3: day 3 failed", "6: int"}));
}

TEST(OrderedDayPipeline, StoppingEndsTheClaimsAndDropsTheDaysInFlight) {
  constexpr std::size_t kInFlight = 4;
  Pipeline pipeline(kInFlight);
  std::atomic<std::size_t> fetched{0};
  std::vector<std::size_t> committed;
  const std::size_t handled = pipeline.run(
      100,
      [&](std::size_t i, std::size_t) {
        ++fetched;
        return Tracked(i);
      },
      [&](std::size_t i, Pipeline::Day) {
        committed.push_back(i);
        return i < 4;  // like an auth failure on day 4
      });
  EXPECT_EQ(handled, 5u);
  EXPECT_EQ(committed, (std::vector<std::size_t>{0, 1, 2, 3, 4}));
  // No day is claimed beyond the window of the last committed one.
  EXPECT_LE(fetched.load(), 5 + kInFlight);
}

TEST(OrderedDayPipeline, ACommitThatThrowsLeavesRunAfterTheWorkersAreJoined) {
  Pipeline pipeline(4);
  std::atomic<int> fetching{0};
  EXPECT_THROW(pipeline.run(
                   50,
                   [&](std::size_t i, std::size_t) {
                     ++fetching;
                     std::this_thread::sleep_for(milliseconds(2));
                     --fetching;
                     return Tracked(i);
                   },
                   [](std::size_t i, Pipeline::Day) -> bool {
                     if (i == 2) throw std::logic_error("commit failed");
                     return true;
                   }),
               std::logic_error);
  EXPECT_EQ(fetching.load(), 0);  // every worker finished before run() returned
}

TEST(OrderedDayPipeline, OneInFlightRunsEverythingOnTheCallingThreadInSlotZero) {
  Pipeline pipeline(1);
  EXPECT_EQ(Pipeline::slots_for(1, 10), 1u);
  const auto caller = std::this_thread::get_id();
  std::vector<std::string> order;
  pipeline.run(
      3,
      [&](std::size_t i, std::size_t slot) {
        EXPECT_EQ(slot, 0u);
        EXPECT_EQ(std::this_thread::get_id(), caller);
        order.push_back("fetch " + std::to_string(i));
        return Tracked(i);
      },
      [&](std::size_t i, Pipeline::Day) {
        EXPECT_EQ(std::this_thread::get_id(), caller);
        order.push_back("commit " + std::to_string(i));
        return true;
      });
  EXPECT_EQ(order, (std::vector<std::string>{"fetch 0", "commit 0", "fetch 1", "commit 1", "fetch 2", "commit 2"}));
}

TEST(OrderedDayPipeline, EachSlotIsUsedByOneThreadAtATime) {
  constexpr std::size_t kInFlight = 5;
  const std::size_t slots = Pipeline::slots_for(kInFlight, 40);
  EXPECT_EQ(slots, kInFlight + 1);
  EXPECT_EQ(Pipeline::slots_for(kInFlight, 2), 3u);  // no more workers than days
  EXPECT_EQ(Pipeline::slots_for(kInFlight, 1), 1u);  // one day: the committer alone
  std::vector<std::atomic<int>> users(slots);
  std::atomic<bool> shared{false};
  std::atomic<bool> out_of_range{false};
  Pipeline pipeline(kInFlight);
  pipeline.run(
      40,
      [&](std::size_t i, std::size_t slot) {
        if (slot >= slots) {
          out_of_range = true;
          return Tracked(i);
        }
        if (++users[slot] != 1) shared = true;
        std::this_thread::sleep_for(milliseconds(1));
        --users[slot];
        return Tracked(i);
      },
      [](std::size_t, Pipeline::Day) { return true; });
  EXPECT_FALSE(out_of_range);
  EXPECT_FALSE(shared);
}

TEST(OrderedDayPipeline, NoDaysNoWork) {
  Pipeline pipeline(8);
  bool called = false;
  EXPECT_EQ(pipeline.run(
                0,
                [&](std::size_t i, std::size_t) {
                  called = true;
                  return Tracked(i);
                },
                [&](std::size_t, Pipeline::Day) {
                  called = true;
                  return true;
                }),
            0u);
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace soi
