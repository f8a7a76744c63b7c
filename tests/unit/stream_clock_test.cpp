// The stream's clock: serverTime parsing, the host clock never going back,
// and the server clock following an in-process simulator's SimClock (start
// time, speed), its refresh interval and its failure handling.
#include "orchestrator/stream_clock.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "config/config.hpp"
#include "data_sources/rest_client.hpp"
#include "simulator/http_server.hpp"
#include "utils/error.hpp"
#include "utils/time_util.hpp"

namespace soi {
namespace {

using std::chrono::milliseconds;

const Date kWednesday{date::year{2025}, date::month{1}, date::day{15}};
const Date kFriday{date::year{2025}, date::month{1}, date::day{17}};

ErrorCategory category_of(std::string_view body) {
  try {
    parse_server_time(body);
  } catch (const SoiError& e) {
    return e.category();
  }
  ADD_FAILURE() << "no error for " << body;
  return ErrorCategory::config;
}

TEST(ParseServerTime, OffsetZuluAndFraction) {
  const std::int64_t t = ny_wall_to_utc_ms(kFriday, 10 * 60 + 15) + 2000;
  EXPECT_EQ(parse_server_time(R"({"market":"open","serverTime":"2025-01-17T10:15:02-05:00"})"), t);
  EXPECT_EQ(parse_server_time(R"({"serverTime":"2025-01-17T15:15:02Z"})"), t);
  EXPECT_EQ(parse_server_time(R"({"serverTime":"2025-01-17T15:15:02+00:00"})"), t);
  EXPECT_EQ(parse_server_time(R"({"serverTime":"2025-01-17T10:15:02.250-05:00"})"), t + 250);
  EXPECT_EQ(parse_server_time(R"({"serverTime":"2025-01-17T15:15:02.5Z"})"), t + 500);
  // Summer time: New York is UTC-4.
  EXPECT_EQ(parse_server_time(R"({"serverTime":"2025-07-01T09:30:00-04:00"})"),
            ny_wall_to_utc_ms(Date{date::year{2025}, date::month{7}, date::day{1}}, 9 * 60 + 30));
}

TEST(ParseServerTime, MalformedIsAParseError) {
  EXPECT_EQ(category_of("not json"), ErrorCategory::parse);
  EXPECT_EQ(category_of("{}"), ErrorCategory::parse);
  EXPECT_EQ(category_of("[]"), ErrorCategory::parse);
  EXPECT_EQ(category_of(R"({"serverTime":5})"), ErrorCategory::parse);
  EXPECT_EQ(category_of(R"({"serverTime":"yesterday"})"), ErrorCategory::parse);
  EXPECT_EQ(category_of(R"({"serverTime":"2025-01-17T10:15:02 EST"})"), ErrorCategory::parse);
}

TEST(SystemStreamClock, FollowsTheHostAndNeverGoesBack) {
  SystemStreamClock clock;
  const std::int64_t before = now_utc_ms();
  std::int64_t last = clock.now_ms();
  EXPECT_GE(last, before);
  for (int i = 0; i < 10000; ++i) {
    const std::int64_t t = clock.now_ms();
    ASSERT_GE(t, last);
    last = t;
  }
  EXPECT_LE(last, now_utc_ms());
  EXPECT_EQ(clock.describe(), "system");
}

class ServerStreamClockTest : public ::testing::Test {
 protected:
  void start(const std::string& start, double speed) {
    sim::SimulatorOptions o;
    o.config.seed = 42;
    o.config.ws_start = start;
    o.config.ws_speed = speed;
    server_ = std::make_unique<sim::SimulatorServer>(o);
    server_->start();
    client_ = std::make_unique<RestClient>(server_->base_url(), "test-key", fast_policy());
  }
  static RetryPolicy fast_policy() {
    RetryPolicy p;
    p.max_attempts = 1;
    p.connect_timeout_seconds = 2;
    p.request_timeout_seconds = 2;
    return p;
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  std::unique_ptr<sim::SimulatorServer> server_;
  std::unique_ptr<RestClient> client_;
};

TEST_F(ServerStreamClockTest, FollowsTheSimulatorsStartAtSpeedZero) {
  start("2025-01-15T09:29:00-05:00", 0);
  ServerStreamClock clock(*client_, milliseconds(0));
  EXPECT_EQ(clock.now_ms(), ny_wall_to_utc_ms(kWednesday, 9 * 60 + 29));
  EXPECT_EQ(clock.now_ms(), ny_wall_to_utc_ms(kWednesday, 9 * 60 + 29));  // speed 0: nothing moves by itself
  EXPECT_EQ(client_->stats().requests, 2u);
  EXPECT_EQ(clock.describe(), "server " + client_->base_url());
}

TEST_F(ServerStreamClockTest, ASecondCallWithinTheRefreshIssuesNoRequest) {
  start("2025-01-17T09:29:00-05:00", 60);  // a simulated minute per wall second
  ServerStreamClock clock(*client_, std::chrono::hours(1));
  const std::int64_t first = clock.now_ms();
  EXPECT_GE(first, ny_wall_to_utc_ms(kFriday, 9 * 60 + 29));
  EXPECT_LT(first, ny_wall_to_utc_ms(kFriday, 9 * 60 + 35));
  std::this_thread::sleep_for(milliseconds(100));  // 6 simulated seconds
  EXPECT_EQ(clock.now_ms(), first);  // the last answer, not extrapolated
  EXPECT_EQ(client_->stats().requests, 1u);
}

TEST_F(ServerStreamClockTest, RefreshesOnceTheIntervalHasPassed) {
  start("2025-01-17T09:29:00-05:00", 60);
  ServerStreamClock clock(*client_, milliseconds(50));
  const std::int64_t first = clock.now_ms();
  std::this_thread::sleep_for(milliseconds(200));  // 12 simulated seconds
  const std::int64_t second = clock.now_ms();
  EXPECT_EQ(client_->stats().requests, 2u);
  EXPECT_GE(second - first, 6000);
  EXPECT_LT(second - first, 120000);
}

TEST_F(ServerStreamClockTest, KeepsTheLastServerTimeWhenTheServerGoesAway) {
  start("2025-01-17T09:29:00-05:00", 0);
  ServerStreamClock clock(*client_, milliseconds(0));
  const std::int64_t t = clock.now_ms();
  server_->stop();
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(clock.now_ms(), t);  // no throw, the last value
  const std::string log = ::testing::internal::GetCapturedStderr();
  // Logged once for the whole failure streak, not once per call.
  const auto first = log.find("server time unavailable");
  EXPECT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("server time unavailable", first + 1), std::string::npos) << log;
}

TEST(ServerStreamClockFallback, UsesTheHostClockUntilTheServerFirstAnswers) {
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  RetryPolicy p;
  p.max_attempts = 1;
  p.connect_timeout_seconds = 1;
  RestClient client("http://127.0.0.1:1", "test-key", p);
  ServerStreamClock clock(client, milliseconds(0));
  const std::int64_t before = now_utc_ms();
  const std::int64_t t = clock.now_ms();
  EXPECT_GE(t, before);
  EXPECT_LE(t, now_utc_ms());
}

TEST(MakeStreamClock, PicksTheConfiguredClock) {
  Config config;
  RestClient client("http://127.0.0.1:1", "test-key", RetryPolicy{});
  EXPECT_EQ(make_stream_clock(config, client)->describe(), "system");  // the default
  config.settings.stream.clock = "server";
  EXPECT_EQ(make_stream_clock(config, client)->describe(), "server " + client.base_url());
  config.settings.stream.clock = "sundial";
  try {
    make_stream_clock(config, client);
    ADD_FAILURE() << "no error for an unknown clock";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::config);
  }
}

}  // namespace
}  // namespace soi
