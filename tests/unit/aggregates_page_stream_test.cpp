// AggregatesPageStream against the in-process simulator: pages followed to the
// end, parsed in turns with the seat's parser when streams share parsers, the
// network wait outside the turn, parsed bodies back in the buffer pool.
#include "data_sources/aggregates_fetcher.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "data_sources/response_buffer_pool.hpp"
#include "simulator/http_server.hpp"
#include "utils/time_util.hpp"

namespace soi {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class AggregatesPageStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = fs::temp_directory_path() / ("soi_stream_requests_" + std::to_string(::getpid()) + ".log");
    fs::remove(log_);
    sim::SimulatorOptions options;
    options.request_log = log_.string();
    server_ = std::make_unique<sim::SimulatorServer>(options);
    server_->start();
  }
  void TearDown() override {
    server_->stop();
    fs::remove(log_);
  }
  RestClient client() const {
    RetryPolicy policy;
    policy.initial_backoff_ms = 1;
    return RestClient(server_->base_url(), "unit-test-key-0000", policy);
  }
  static AggregatesRequest session_of(std::string_view date, int page_limit) {
    const Date d = *parse_date(date);
    AggregatesRequest r;
    r.ticker = "SPY";
    r.window = BarWindow{ny_wall_to_utc_ms(d, 9 * 60 + 30), ny_wall_to_utc_ms(d, 16 * 60), 1000};
    r.page_limit = page_limit;
    return r;
  }
  std::size_t requests_served() const {
    std::ifstream in(log_);
    std::size_t lines = 0;
    for (std::string line; std::getline(in, line);) ++lines;
    return lines;
  }
  static std::vector<Bar> all_bars(AggregatesPageStream& stream) {
    std::vector<Bar> bars;
    AggsPage page;
    while (stream.next(page)) bars.insert(bars.end(), page.bars.begin(), page.bars.end());
    return bars;
  }

  fs::path log_;
  std::unique_ptr<sim::SimulatorServer> server_;
};

TEST_F(AggregatesPageStreamTest, SeatedParsersReadTheSamePagesAsAParserOfItsOwn) {
  RestClient c = client();
  const AggregatesRequest request = session_of("2025-01-17", 5000);
  AggsParser own(AggsShape::equity);
  AggregatesPageStream plain(c, own, request, {"spy", "SPY", "2025-01-17", ""}, 3);
  const std::vector<Bar> expected = all_bars(plain);
  ASSERT_GT(expected.size(), 20000u);
  EXPECT_EQ(plain.pages(), (expected.size() + 4999) / 5000);

  OrderedTurns turns(2);
  std::vector<AggsParser> parsers;
  parsers.emplace_back(AggsShape::equity);
  parsers.emplace_back(AggsShape::equity);
  const SeatedAggsParsers seated{turns, parsers};
  AggregatesPageStream in_turns(c, seated, 20105, request, {"spy", "SPY", "2025-01-17", ""}, 3);
  const std::vector<Bar> bars = all_bars(in_turns);
  ASSERT_EQ(bars.size(), expected.size());
  for (std::size_t i = 0; i < bars.size(); ++i) {
    ASSERT_EQ(bars[i].ts_ms, expected[i].ts_ms) << i;
    ASSERT_EQ(bars[i].close, expected[i].close) << i;
  }
  EXPECT_EQ(in_turns.pages(), plain.pages());
}

TEST_F(AggregatesPageStreamTest, AStreamWaitsForItsTurnToParseButNotToFetch) {
  OrderedTurns turns(1);
  std::vector<AggsParser> parsers;
  parsers.emplace_back(AggsShape::equity);
  const SeatedAggsParsers seated{turns, parsers};
  OrderedTurns::Turn earlier_day = turns.take(1);  // an earlier day is parsing

  std::atomic<bool> parsed{false};
  std::size_t bars = 0;
  std::thread later_day([&] {
    RestClient c = client();
    AggregatesPageStream stream(c, seated, 2, session_of("2025-01-17", 50000), {"spy", "SPY", "2025-01-17", ""}, 3);
    AggsPage page;
    stream.next(page);
    bars = page.bars.size();
    parsed = true;
  });
  // The page arrives while the earlier day holds the turn...
  for (int i = 0; i < 500 && requests_served() == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(requests_served(), 1u);
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(parsed.load());  // ...and waits for the turn to be parsed.
  earlier_day = OrderedTurns::Turn();
  later_day.join();
  EXPECT_TRUE(parsed.load());
  EXPECT_GT(bars, 20000u);
}

TEST_F(AggregatesPageStreamTest, AParsedBodyGoesBackToThePoolForTheNextResponse) {
  ResponseBufferPool& pool = ResponseBufferPool::shared();
  while (pool.size() > 0) pool.take(0);
  RestClient c = client();
  AggsParser parser(AggsShape::equity);
  AggregatesPageStream stream(c, parser, session_of("2025-01-17", 50000), {"spy", "SPY", "2025-01-17", ""}, 3);
  AggsPage page;
  ASSERT_TRUE(stream.next(page));
  EXPECT_EQ(pool.size(), 1u);  // a day's body, megabytes: kept for the next response
  // The next day's response is read into it: the pool is empty while it is in use.
  AggregatesPageStream next_day(c, parser, session_of("2025-01-16", 50000), {"spy", "SPY", "2025-01-16", ""}, 3);
  ASSERT_TRUE(next_day.next(page));
  EXPECT_GT(page.bars.size(), 20000u);
  EXPECT_EQ(pool.size(), 1u);
}

}  // namespace
}  // namespace soi
