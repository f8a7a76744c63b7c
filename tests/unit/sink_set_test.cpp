#include "sinks/sink_set.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "processing/dataset.hpp"

namespace soi {
namespace {

// Two sinks that each wait, within one write, for the other to have started:
// both finish only if SinkSet runs them at the same time.
struct Rendezvous {
  std::mutex mutex;
  std::condition_variable changed;
  int arrived = 0;
  // True when `expected` sinks arrived within the bound (a sequential SinkSet
  // leaves the first one waiting alone until the bound passes).
  bool meet(int expected) {
    std::unique_lock lock(mutex);
    ++arrived;
    changed.notify_all();
    return changed.wait_for(lock, std::chrono::seconds(10), [&] { return arrived >= expected; });
  }
};

class FakeSink : public Sink {
 public:
  FakeSink(std::string name, Rendezvous* rendezvous, int expected, bool fail)
      : name_(std::move(name)), rendezvous_(rendezvous), expected_(expected), fail_(fail) {}
  std::string_view name() const override { return name_; }
  using Sink::write;
  PartitionWriteResult write(const Partition& partition, const RunInfo&) override {
    started = std::chrono::steady_clock::now();
    thread = std::this_thread::get_id();
    met_others = rendezvous_ ? rendezvous_->meet(expected_) : false;
    finished = std::chrono::steady_clock::now();
    if (fail_) throw std::runtime_error("disk on fire");
    PartitionWriteResult r;
    r.sink = name_;
    r.feed = std::string(partition.name);
    return r;
  }
  bool reads_committed_partition() const override { return reads_first_; }
  bool met_others = false;
  bool reads_first_ = false;
  std::thread::id thread;
  std::chrono::steady_clock::time_point started, finished;

 private:
  std::string name_;
  Rendezvous* rendezvous_;
  int expected_;
  bool fail_;
};

TEST(SinkSetTest, EverySinkWritesAtOnceAndResultsKeepTheSinkOrder) {
  Rendezvous rendezvous;
  SinkSet set;
  set.add(std::make_unique<FakeSink>("parquet", &rendezvous, 3, false));
  set.add(std::make_unique<FakeSink>("duckdb", &rendezvous, 3, true));
  set.add(std::make_unique<FakeSink>("postgres", &rendezvous, 3, false));
  Partition partition;
  partition.name = "spy";
  const SinkSetResult result = set.write(partition, RunInfo{"run", 0});
  EXPECT_EQ(static_cast<FakeSink&>(set.at(0)).thread, std::this_thread::get_id());
  for (std::size_t i = 0; i < set.size(); ++i)
    EXPECT_TRUE(static_cast<FakeSink&>(set.at(i)).met_others) << set.at(i).name() << " ran alone";
  ASSERT_EQ(result.written.size(), 2u);
  EXPECT_EQ(result.written[0].sink, "parquet");
  EXPECT_EQ(result.written[1].sink, "postgres");
  EXPECT_EQ(result.written[1].feed, "spy");
  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_EQ(result.failed_sinks, std::vector<std::string>{"duckdb"});
  EXPECT_EQ(result.failures[0].category(), ErrorCategory::storage);
  EXPECT_NE(std::string(result.failures[0].what()).find("duckdb sink: disk on fire"), std::string::npos)
      << result.failures[0].what();
  EXPECT_FALSE(result.ok());
}

TEST(SinkSetTest, OneSinkRunsOnTheCallersThreadAndAnEmptySetWritesNothing) {
  SinkSet one;
  one.add(std::make_unique<FakeSink>("parquet", nullptr, 1, false));
  Partition partition;
  const SinkSetResult result = one.write(partition, RunInfo{"run", 0});
  EXPECT_TRUE(result.ok());
  ASSERT_EQ(result.written.size(), 1u);
  EXPECT_EQ(static_cast<FakeSink&>(one.at(0)).thread, std::this_thread::get_id());
  SinkSet none;
  EXPECT_TRUE(none.write(partition, RunInfo{"run", 0}).written.empty());
}

// A sink over the first one's committed files starts once the first has
// finished, and does not run at all when the first failed.
TEST(SinkSetTest, ASinkReadingTheFirstOnesFilesRunsAfterItAndNotWhenItFailed) {
  for (const bool first_fails : {false, true}) {
    Rendezvous rendezvous;
    SinkSet set;
    set.add(std::make_unique<FakeSink>("parquet", &rendezvous, 2, first_fails));
    set.add(std::make_unique<FakeSink>("postgres", &rendezvous, 2, false));
    auto views = std::make_unique<FakeSink>("duckdb", nullptr, 1, false);
    views->reads_first_ = true;
    set.add(std::move(views));
    Partition partition;
    partition.name = "spy";
    const SinkSetResult result = set.write(partition, RunInfo{"run", 0});
    const auto& first = static_cast<FakeSink&>(set.at(0));
    const auto& follower = static_cast<FakeSink&>(set.at(2));
    EXPECT_TRUE(first.met_others) << "the other sinks still run beside the first";
    if (!first_fails) {
      ASSERT_TRUE(result.ok());
      ASSERT_EQ(result.written.size(), 3u);
      EXPECT_EQ(result.written[2].sink, "duckdb");
      EXPECT_GE(follower.started, first.finished);
      EXPECT_EQ(follower.thread, std::this_thread::get_id());
    } else {
      EXPECT_EQ(follower.thread, std::thread::id()) << "ran although the files it reads were not committed";
      EXPECT_EQ(result.failed_sinks, (std::vector<std::string>{"parquet", "duckdb"}));
      ASSERT_EQ(result.failures.size(), 2u);
      EXPECT_EQ(result.failures[1].category(), ErrorCategory::storage);
      EXPECT_NE(std::string(result.failures[1].what()).find("not updated, because the parquet sink"),
                std::string::npos)
          << result.failures[1].what();
      ASSERT_EQ(result.written.size(), 1u);
      EXPECT_EQ(result.written[0].sink, "postgres");
    }
  }
}

// A first sink that encodes ahead (Sink::prepare): its failure there is its
// failure of the write, and the sink over its files does not run.
TEST(SinkSetTest, AFailedPrepareIsTheFirstSinksFailureOfTheWrite) {
  struct PreparingSink : FakeSink {
    PreparingSink() : FakeSink("parquet", nullptr, 1, false) {}
    std::unique_ptr<Prepared> prepare(const Partition&, const RunInfo&) override {
      throw SoiError(ErrorCategory::storage, "cannot write parquet partition: disk full");
    }
  };
  SinkSet set;
  set.add(std::make_unique<PreparingSink>());
  set.add(std::make_unique<FakeSink>("postgres", nullptr, 1, false));
  auto views = std::make_unique<FakeSink>("duckdb", nullptr, 1, false);
  views->reads_first_ = true;
  set.add(std::move(views));
  Partition partition;
  partition.name = "spy";
  SinkSet::Prepared prepared = set.prepare(partition, RunInfo{"run", 0});
  ASSERT_TRUE(prepared.failure.has_value());
  const SinkSetResult result = set.write(partition, RunInfo{"run", 0}, std::move(prepared));
  EXPECT_EQ(static_cast<FakeSink&>(set.at(0)).thread, std::thread::id()) << "written after its prepare failed";
  EXPECT_EQ(static_cast<FakeSink&>(set.at(2)).thread, std::thread::id()) << "ran over files never written";
  EXPECT_EQ(result.failed_sinks, (std::vector<std::string>{"parquet", "duckdb"}));
  EXPECT_NE(std::string(result.failures[0].what()).find("disk full"), std::string::npos) << result.failures[0].what();
  ASSERT_EQ(result.written.size(), 1u);
  EXPECT_EQ(result.written[0].sink, "postgres");
}

// Sinks opened in the background: the caller goes on while they open, and the
// first write waits for them.
TEST(SinkSetTest, SinksOpenedInTheBackgroundJoinTheSetBeforeTheFirstWrite) {
  std::promise<void> may_open;
  std::shared_future<void> gate = may_open.get_future().share();
  std::atomic<bool> opened{false};
  std::thread::id opener_thread;
  SinkSet set;
  set.open_in_background([&] {
    gate.wait();  // the caller gets this far while the opener still waits
    opener_thread = std::this_thread::get_id();
    std::vector<std::unique_ptr<Sink>> sinks;
    sinks.push_back(std::make_unique<FakeSink>("parquet", nullptr, 1, false));
    sinks.push_back(std::make_unique<FakeSink>("duckdb", nullptr, 1, false));
    opened = true;
    return sinks;
  });
  EXPECT_FALSE(opened.load());
  may_open.set_value();
  Partition partition;
  partition.name = "spy";
  const SinkSetResult result = set.write(partition, RunInfo{"run", 0});
  EXPECT_TRUE(opened.load());
  EXPECT_NE(opener_thread, std::this_thread::get_id());
  ASSERT_EQ(result.written.size(), 2u);
  EXPECT_EQ(result.written[0].sink, "parquet");
  EXPECT_EQ(set.size(), 2u);
  EXPECT_NO_THROW(set.wait_open());
}

// A failure to open reaches every caller as the opener's exception, each time
// it is asked, not as a failed sink of one partition.
TEST(SinkSetTest, AFailureToOpenIsThrownByEveryLaterCall) {
  SinkSet set;
  set.open_in_background([]() -> std::vector<std::unique_ptr<Sink>> {
    throw SoiError(ErrorCategory::storage, "cannot open market.duckdb: Conflicting lock is held");
  });
  Partition partition;
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      set.write(partition, RunInfo{"run", 0});
      ADD_FAILURE() << "write() did not throw";
    } catch (const SoiError& e) {
      EXPECT_EQ(e.category(), ErrorCategory::storage);
      EXPECT_NE(std::string(e.what()).find("Conflicting lock"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(set.wait_open(), SoiError);
  EXPECT_THROW(set.size(), SoiError);
}

// A set destroyed while its sinks are still opening waits for the opener
// rather than leaving it running against freed state.
TEST(SinkSetTest, DestroyingTheSetWaitsForTheOpener) {
  std::atomic<bool> finished{false};
  {
    SinkSet set;
    set.open_in_background([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      finished = true;
      return std::vector<std::unique_ptr<Sink>>{};
    });
  }
  EXPECT_TRUE(finished.load());
}

// A sink that, when closed, waits for the others to be closing too.
struct ClosingSink : FakeSink {
  ClosingSink(std::string name, Rendezvous& rendezvous, int expected, std::atomic<int>& met)
      : FakeSink(std::move(name), nullptr, 0, false), rendezvous_(rendezvous), expected_(expected), met_(met) {}
  ~ClosingSink() override {
    if (rendezvous_.meet(expected_)) ++met_;
  }
  Rendezvous& rendezvous_;
  int expected_;
  std::atomic<int>& met_;
};

TEST(SinkSetTest, SinksCloseSideBySide) {
  Rendezvous rendezvous;
  std::atomic<int> met{0};
  {
    SinkSet set;
    set.add(std::make_unique<ClosingSink>("parquet", rendezvous, 3, met));
    set.add(std::make_unique<ClosingSink>("duckdb", rendezvous, 3, met));
    set.add(std::make_unique<ClosingSink>("postgres", rendezvous, 3, met));
  }
  EXPECT_EQ(met.load(), 3) << "every sink was closed, and none waited for another to finish closing";
}

}  // namespace
}  // namespace soi
