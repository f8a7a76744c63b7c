#include "processing/spill_queue.hpp"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <thread>

#include <gtest/gtest.h>

namespace soi {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// Batch b holds records b*n .. b*n+n-1 (the sequence number is in ts_ms).
void fill(RecordBatch& batch, std::int64_t b, std::int64_t n = 10, std::int64_t receive_ms = 1000) {
  batch.clear();
  for (std::int64_t i = b * n; i < (b + 1) * n; ++i) {
    Bar bar;
    bar.ts_ms = i;
    bar.close = 600.0 + static_cast<double>(i);
    bar.fields = kBarFullFields;
    batch.add(1, i % 2 ? "SPY" : "O:SPY250117C00590000", bar, receive_ms);
  }
}

class SpillQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("soi-spill-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(std::random_device{}()));
  }
  void TearDown() override { fs::remove_all(dir_); }
  SpillQueueOptions options(std::size_t capacity, OverflowPolicy policy = OverflowPolicy::spill) const {
    return SpillQueueOptions{capacity, policy, dir_ / "spill" / "stream.spill"};
  }
  // Pops everything currently queued; checks records continue from `next`.
  static void expect_sequence(SpillQueue& q, std::int64_t& next, std::size_t batches) {
    RecordBatch out;
    for (std::size_t b = 0; b < batches; ++b) {
      ASSERT_TRUE(q.pop(out, milliseconds(1000))) << "batch " << b;
      for (std::size_t i = 0; i < out.size(); ++i) {
        ASSERT_EQ(out[i].bar.ts_ms, next) << "out of order";
        EXPECT_EQ(out[i].bar.close, 600.0 + static_cast<double>(next));
        EXPECT_EQ(out[i].symbol, next % 2 ? "SPY" : "O:SPY250117C00590000");
        EXPECT_EQ(out[i].bar.fields, kBarFullFields);
        ++next;
      }
    }
  }

  fs::path dir_;
};

TEST_F(SpillQueueTest, InvalidOptionsAreRejected) {
  EXPECT_THROW(SpillQueue(SpillQueueOptions{0, OverflowPolicy::block, {}}), std::invalid_argument);
  EXPECT_THROW(SpillQueue(SpillQueueOptions{4, OverflowPolicy::spill, {}}), std::invalid_argument);
  EXPECT_EQ(to_string(OverflowPolicy::drop_oldest), "drop_oldest");
}

TEST_F(SpillQueueTest, FullQueueSpillsWithoutBlockingAndDrainsInOrder) {
  SpillQueue q(options(2));
  RecordBatch batch;
  for (int b = 0; b < 50; ++b) {
    fill(batch, b);
    q.push(batch);  // no consumer: would hang here if push blocked
    EXPECT_TRUE(batch.empty());
  }
  auto s = q.stats(2000);
  EXPECT_EQ(s.depth, 50u);
  EXPECT_EQ(s.memory_depth, 2u);
  EXPECT_EQ(s.capacity, 2u);
  EXPECT_EQ(s.spilled_batches, 48u);
  EXPECT_EQ(s.spilled_records, 480u);
  EXPECT_GT(s.spill_file_bytes, 0u);
  EXPECT_EQ(s.spill_file_bytes, fs::file_size(options(2).spill_path));
  EXPECT_EQ(s.lag_ms, 1000);
  EXPECT_EQ(s.dropped_batches, 0u);

  std::int64_t next = 0;
  expect_sequence(q, next, 50);
  s = q.stats(2000);
  EXPECT_EQ(s.depth, 0u);
  EXPECT_EQ(s.drained_batches, 48u);
  EXPECT_EQ(s.drained_records, 480u);
  EXPECT_EQ(s.spill_file_bytes, 0u);  // reset once drained
  EXPECT_EQ(s.lag_ms, 0);
  RecordBatch out;
  EXPECT_FALSE(q.pop(out, milliseconds(10)));
}

TEST_F(SpillQueueTest, NewerBatchesFollowTheSpillUntilItIsDrained) {
  SpillQueue q(options(2));
  RecordBatch batch;
  std::int64_t b = 0, next = 0;
  for (; b < 5; ++b) fill(batch, b), q.push(batch);  // 2 in memory, 3 spilled
  expect_sequence(q, next, 1);
  // Memory has room now, but a spilled batch is older: this one must queue behind it.
  fill(batch, b++), q.push(batch);
  EXPECT_EQ(q.stats().spilled_batches, 4u);
  expect_sequence(q, next, 5);
  // Drained: back to memory.
  fill(batch, b++), q.push(batch);
  EXPECT_EQ(q.stats().spilled_batches, 4u);
  expect_sequence(q, next, 1);
  EXPECT_EQ(next, b * 10);
}

TEST_F(SpillQueueTest, DropOldestCountsWhatItDrops) {
  SpillQueue q(options(3, OverflowPolicy::drop_oldest));
  RecordBatch batch;
  for (int b = 0; b < 10; ++b) fill(batch, b), q.push(batch);
  const auto s = q.stats();
  EXPECT_EQ(s.dropped_batches, 7u);
  EXPECT_EQ(s.dropped_records, 70u);
  EXPECT_EQ(s.depth, 3u);
  EXPECT_EQ(s.spilled_batches, 0u);
  std::int64_t next = 70;
  expect_sequence(q, next, 3);
}

TEST_F(SpillQueueTest, BlockPolicyWaitsForRoom) {
  SpillQueue q(options(1, OverflowPolicy::block));
  RecordBatch batch;
  fill(batch, 0), q.push(batch);
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    RecordBatch second;
    fill(second, 1);
    q.push(second);
    pushed = true;
  });
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_FALSE(pushed);
  std::int64_t next = 0;
  expect_sequence(q, next, 1);
  producer.join();
  EXPECT_TRUE(pushed);
  expect_sequence(q, next, 1);
}

TEST_F(SpillQueueTest, LagCounters) {
  SpillQueue q(options(1));
  RecordBatch batch;
  const auto now = std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  fill(batch, 0, 10, now - 5000), q.push(batch);
  fill(batch, 1, 10, now - 3000), q.push(batch);  // spilled
  EXPECT_EQ(q.stats(now).lag_ms, 5000);
  RecordBatch out;
  ASSERT_TRUE(q.pop(out, milliseconds(100)));
  EXPECT_EQ(q.stats(now).lag_ms, 3000);  // the oldest undrained record is now in the spill file
  EXPECT_GE(q.stats(now).max_lag_ms, 5000);
  ASSERT_TRUE(q.pop(out, milliseconds(100)));
  EXPECT_EQ(q.stats(now).lag_ms, 0);
}

TEST_F(SpillQueueTest, CloseDeliversEverythingQueuedThenStops) {
  SpillQueue q(options(2));
  RecordBatch batch;
  for (int b = 0; b < 6; ++b) fill(batch, b), q.push(batch);
  q.close();
  EXPECT_THROW(q.push(batch), std::logic_error);
  std::int64_t next = 0;
  expect_sequence(q, next, 6);
  RecordBatch out;
  EXPECT_FALSE(q.pop(out, milliseconds(1000)));  // closed and empty: returns at once
}

// A fast producer, a consumer that stalls now and then: the producer never
// waits for it, and every record arrives once, in order, through the spills.
TEST_F(SpillQueueTest, ConcurrentProducerAndSlowConsumerStress) {
  SpillQueue q(options(8));
  std::atomic<bool> done{false};
  std::int64_t produced = 0;
  std::int64_t max_push_us = 0;
  std::thread producer([&] {
    RecordBatch batch;
    const auto until = std::chrono::steady_clock::now() + milliseconds(1000);
    for (std::int64_t b = 0; std::chrono::steady_clock::now() < until; ++b) {
      fill(batch, b, 50);
      const auto t0 = std::chrono::steady_clock::now();
      q.push(batch);
      max_push_us = std::max<std::int64_t>(
          max_push_us,
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
      produced = (b + 1) * 50;
      if (b % 64 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    q.close();
    done = true;
  });
  std::int64_t next = 0;
  std::mt19937 rng(42);
  RecordBatch out;
  std::uint64_t batches = 0;
  bool in_order = true;
  while (q.pop(out, milliseconds(2000))) {
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (out[i].bar.ts_ms != next) in_order = false;
      ++next;
    }
    if (++batches % 100 == 0) std::this_thread::sleep_for(milliseconds(rng() % 20));  // stall: forces spills
  }
  producer.join();
  EXPECT_TRUE(done);
  EXPECT_TRUE(in_order);
  EXPECT_EQ(next, produced);
  const auto s = q.stats();
  EXPECT_EQ(s.depth, 0u);
  EXPECT_EQ(s.dropped_records, 0u);
  EXPECT_GT(s.spilled_batches, 0u);
  EXPECT_EQ(s.drained_batches, s.spilled_batches);
  EXPECT_EQ(s.popped_batches, s.pushed_batches);
  std::printf("stress: %lld records, %llu batches spilled, longest push %lld us\n", static_cast<long long>(produced),
              static_cast<unsigned long long>(s.spilled_batches), static_cast<long long>(max_push_us));
}

}  // namespace
}  // namespace soi
