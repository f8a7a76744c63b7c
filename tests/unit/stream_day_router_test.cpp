// Where the stream's records go, live and on replay: the session's day, another
// day's book (seeded from its committed partition), or the quarantine with its
// reason; replayed rejects are skipped, not quarantined twice; a replayed record
// older than a backfill only fills a missing second.
#include "orchestrator/stream_day_router.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "sinks/parquet/parquet_sink.hpp"
#include "sinks/store/local_store.hpp"

namespace soi {
namespace {

namespace fs = std::filesystem;

const Date kDay = *parse_date("2025-01-17");       // a Friday
const Date kPreviousDay = *parse_date("2025-01-16");
constexpr std::uint8_t kSpy = 0, kNews = 3;          // default registry positions; news is not streamed
constexpr std::int64_t kOpen = 1737124200000;        // 2025-01-17 09:30 New York
constexpr std::int64_t kPreviousOpen = kOpen - 86400000;

Bar bar_at(std::int64_t ts_ms, double close) {
  Bar b;
  b.ts_ms = ts_ms;
  b.open = b.high = b.low = b.close = close;
  b.volume = 10;
  b.vwap = close;
  b.fields = kBarHasVolume | kBarHasVwap;
  return b;
}

WalRecord record(std::uint8_t feed, std::int64_t ts_ms, double close, std::int64_t receive_ms) {
  return WalRecord{feed, "SPY", bar_at(ts_ms, close), receive_ms};
}

std::string read_all(const fs::path& dir) {
  std::string text;
  if (!fs::exists(dir)) return text;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    text += ss.str();
  }
  return text;
}

class StreamDayRouterTest : public ::testing::Test {
 protected:
  void TearDown() override {
    router_.reset();
    quarantine_.reset();
    fs::remove_all(dir_);
  }
  StreamDayRouter& router() {
    if (!router_)
      router_ = std::make_unique<StreamDayRouter>(StreamDayRouter::Services{feeds_, calendar_, *quarantine_, *store_},
                                                  kDay, configured_session_window(config_, calendar_, kDay));
    return *router_;
  }
  // A committed SPY partition of `d`, as a backfill or an earlier commit left it.
  void commit_spy_day(Date d, std::vector<Bar> bars) {
    const BarWindow session = configured_session_window(config_, calendar_, d);
    const std::vector<BarDay> days{BarDay{"spy", "SPY", d, Origin::rest, std::move(bars), std::nullopt}};
    ParquetSink sink(store_, ParquetSinkConfig{});
    sink.write(BarPartition{"spy", d, days, session.from_ms, session.to_ms, "spy_bars", nullptr}, RunInfo{"run-1", 0});
  }
  std::string quarantined() {
    quarantine_.reset();  // flushes
    quarantine_ = std::make_unique<QuarantineWriter>(dir_.string());
    return read_all(dir_ / "quarantine");
  }

  static fs::path fresh_dir() {
    static int counter = 0;
    const fs::path dir =
        fs::temp_directory_path() / ("soi_router_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
  }

  fs::path dir_ = fresh_dir();
  Config config_;
  FeedRegistry registry_ = default_feeds();
  StreamFeedSet feeds_{registry_, config_};
  MarketCalendar calendar_;
  std::unique_ptr<QuarantineWriter> quarantine_ = std::make_unique<QuarantineWriter>(dir_.string());
  std::shared_ptr<LocalStore> store_ = std::make_shared<LocalStore>(dir_);
  std::unique_ptr<StreamDayRouter> router_;
};

TEST_F(StreamDayRouterTest, ASessionRecordGoesToTheSessionDay) {
  router().route_live(record(kSpy, kOpen + 5000, 600.5, kOpen + 5100));
  const auto days = router().session_day().snapshot(StreamFeed{kSpy});
  ASSERT_EQ(days.size(), 1u);
  ASSERT_EQ(days[0].bars.size(), 1u);
  EXPECT_EQ(days[0].bars[0].ts_ms, kOpen + 5000);
  EXPECT_EQ(days[0].bars[0].close, 600.5);
  EXPECT_TRUE(router().other_days().empty());
  EXPECT_EQ(quarantine_->total(), 0u);
}

TEST_F(StreamDayRouterTest, LiveRejectsAreQuarantinedWithTheirReason) {
  const std::int64_t now = kOpen + 60000;
  router().route_live(record(kNews, kOpen + 1000, 1, now));                // not a streamed feed
  router().route_live(record(200, kOpen + 1000, 1, now));                  // no such feed
  router().route_live(record(kSpy, kOpen + 86400000, 2, now));             // Saturday: a later day than received
  router().route_live(record(kSpy, kPreviousOpen + 1000, 3, now));         // yesterday: late, policy rejects
  router().route_live(record(kSpy, kOpen - 3600000, 4, now));              // 08:30 today: before the open
  EXPECT_EQ(router().session_day().bars_added(), 0u);
  EXPECT_TRUE(router().other_days().empty());
  EXPECT_EQ(quarantine_->total(), 5u);
  EXPECT_EQ(router().late_rejects(), 1u);
  const std::string text = quarantined();
  EXPECT_NE(text.find("record of an unknown feed id"), std::string::npos) << text;
  EXPECT_NE(text.find("future_session"), std::string::npos) << text;
  EXPECT_NE(text.find("late_data"), std::string::npos) << text;
  EXPECT_NE(text.find("outside_session"), std::string::npos) << text;
}

TEST_F(StreamDayRouterTest, ReplayedRejectsAreSkippedNotQuarantinedAgain) {
  router().route_replayed(record(200, kOpen + 1000, 1, kOpen), kDay, false);
  router().route_replayed(record(kSpy, kOpen - 3600000, 4, kOpen), kDay, false);
  EXPECT_EQ(router().session_day().bars_added(), 0u);
  EXPECT_EQ(quarantine_->total(), 0u);
  EXPECT_EQ(router().late_rejects(), 0u);  // counted for live records only
}

TEST_F(StreamDayRouterTest, AReplayedRecordOfAnEarlierDayGoesToThatDaySeededFromItsCommittedPartition) {
  // What the earlier day already has committed: two seconds.
  commit_spy_day(kPreviousDay, {bar_at(kPreviousOpen, 590), bar_at(kPreviousOpen + 1000, 591)});

  // Received yesterday by a run that was killed before it committed.
  router().route_replayed(record(kSpy, kPreviousOpen + 2000, 592, kPreviousOpen + 2100), kPreviousDay, false);
  ASSERT_EQ(router().other_days().size(), 1u);
  StreamDayBook& day = router().other_days().begin()->second;
  EXPECT_EQ(day.date(), kPreviousDay);
  const auto days = day.snapshot(StreamFeed{kSpy});
  ASSERT_EQ(days.size(), 1u);
  // The two committed seconds and the replayed one.
  ASSERT_EQ(days[0].bars.size(), 3u);
  EXPECT_EQ(days[0].bars[0].close, 590);
  EXPECT_EQ(days[0].bars[1].close, 591);
  EXPECT_EQ(days[0].bars[2].close, 592);
  EXPECT_EQ(router().session_day().bars_added(), 0u);
  EXPECT_EQ(quarantine_->total(), 0u);
}

TEST_F(StreamDayRouterTest, AFillOnlyRecordOnlyFillsASecondTheDayLacks) {
  // The day as a later backfill replaced it: the restart seeds the book with it.
  commit_spy_day(kDay, {bar_at(kOpen, 600)});
  router().seed_from_committed(router().session_day());
  // Received before that backfill: the backfill's second stands, a missing one is filled.
  router().route_replayed(record(kSpy, kOpen, 111, kOpen + 100), kDay, true);
  router().route_replayed(record(kSpy, kOpen + 1000, 601, kOpen + 1100), kDay, true);
  EXPECT_EQ(router().superseded(), 1u);
  const auto days = router().session_day().snapshot(StreamFeed{kSpy});
  ASSERT_EQ(days.size(), 1u);
  ASSERT_EQ(days[0].bars.size(), 2u);
  EXPECT_EQ(days[0].bars[0].close, 600);
  EXPECT_EQ(days[0].bars[1].close, 601);
}

}  // namespace
}  // namespace soi
