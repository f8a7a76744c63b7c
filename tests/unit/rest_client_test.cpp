// RestClient against an in-process simulator: retries, Retry-After, no retry on
// other 4xx, auth messages, next_url handling, secrets kept out of errors.
#include "data_sources/rest_client.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "simulator/http_server.hpp"
#include "utils/redact.hpp"

namespace soi {
namespace {

constexpr const char* kKey = "unit-test-key-abcdef0123456789";
constexpr const char* kDay = "/v2/aggs/ticker/SPY/range/1/second/2025-01-17/2025-01-17?limit=100";

class RestClientTest : public ::testing::Test {
 protected:
  void start(std::vector<std::string> faults, std::string accepted_key = "") {
    sim::SimulatorOptions options;
    options.config.faults = std::move(faults);
    options.api_key = std::move(accepted_key);
    server_ = std::make_unique<sim::SimulatorServer>(options);
    server_->start();
  }
  static RetryPolicy fast_policy() {
    RetryPolicy p;
    p.initial_backoff_ms = 1;
    p.max_backoff_ms = 5;
    p.connect_timeout_seconds = 2;
    p.request_timeout_seconds = 2;
    return p;
  }
  void TearDown() override {
    if (server_) server_->stop();
    clear_secrets();
  }
  std::unique_ptr<sim::SimulatorServer> server_;
};

TEST_F(RestClientTest, RetriesRateLimitHonouringRetryAfter) {
  start({"rate_limit:first=2:retry_after=1"});
  RestClient c(server_->base_url(), kKey, fast_policy());
  std::vector<int> waits;
  c.set_sleeper([&](int ms) { waits.push_back(ms); });
  HttpResponse r = c.get(kDay, {});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.attempts, 3);
  ASSERT_EQ(waits.size(), 2u);
  EXPECT_EQ(waits[0], 1000);  // Retry-After: 1, not our own 1 ms backoff
  EXPECT_EQ(c.stats().retries, 2u);
}

TEST_F(RestClientTest, GivesUpAfterMaxAttemptsWithRateLimitCategory) {
  start({"rate_limit:retry_after=0"});
  RestClient c(server_->base_url(), kKey, fast_policy());
  c.set_sleeper([](int) {});
  try {
    c.get(kDay, ErrorContext{"spy", "SPY", "2025-01-17", ""});
    FAIL();
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::rate_limit);
    EXPECT_EQ(e.http_status(), 429);
    EXPECT_EQ(e.context().ticker, "SPY");
    EXPECT_NE(e.context().url.find("/v2/aggs/ticker/SPY"), std::string::npos);
  }
  EXPECT_EQ(c.stats().requests, 3u);
}

TEST_F(RestClientTest, RetriesServerErrorsAndDroppedConnections) {
  start({"server_error:status=502:first=1", "drop:first=1"});
  RestClient c(server_->base_url(), kKey, fast_policy());
  c.set_sleeper([](int) {});
  EXPECT_EQ(c.get(kDay, {}).status, 200);
}

TEST_F(RestClientTest, TimeoutIsANetworkErrorAfterRetries) {
  start({"slow:delay_ms=3000"});
  RetryPolicy p = fast_policy();
  p.max_attempts = 2;
  p.request_timeout_seconds = 1;
  p.connect_timeout_seconds = 1;
  RestClient c(server_->base_url(), kKey, p);
  c.set_sleeper([](int) {});
  try {
    c.get(kDay, {});
    FAIL();
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::network);
    EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
  }
}

TEST_F(RestClientTest, OtherClientErrorsAreNotRetried) {
  start({});
  RestClient c(server_->base_url(), kKey, fast_policy());
  c.set_sleeper([](int) { ADD_FAILURE() << "a 400 must not be retried"; });
  try {
    c.get("/v2/aggs/ticker/SPY/range/1/second/2025-01-17/2025-01-10", {});
    FAIL();
  } catch (const SoiError& e) {
    EXPECT_EQ(e.http_status(), 400);
    EXPECT_NE(std::string(e.what()).find("cannot be a time that occurs before"), std::string::npos) << e.what();
  }
  EXPECT_EQ(c.stats().requests, 1u);
}

TEST_F(RestClientTest, AuthFailureNamesTheApiAndNeverTheKey) {
  start({}, "the-only-accepted-key");
  RestClient c(server_->base_url(), kKey, fast_policy());
  c.set_sleeper([](int) { ADD_FAILURE() << "a 401 must not be retried"; });
  try {
    c.get(kDay, {});
    FAIL();
  } catch (const SoiError& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.category(), ErrorCategory::auth);
    EXPECT_NE(what.find("Stocks aggregates API"), std::string::npos) << what;
    EXPECT_NE(what.find("Unknown API Key"), std::string::npos) << what;
    EXPECT_NE(what.find("****6789"), std::string::npos) << what;
    EXPECT_EQ(what.find(kKey), std::string::npos) << what;
  }
}

TEST_F(RestClientTest, NextUrlIsSentToTheConfiguredHostOnly) {
  EXPECT_EQ(RestClient::path_of("https://api.massive.com/v2/aggs/ticker/SPY/range/1/second/1/2?cursor=abc"),
            "/v2/aggs/ticker/SPY/range/1/second/1/2?cursor=abc");
  EXPECT_EQ(RestClient::path_of("/v1/marketstatus/now"), "/v1/marketstatus/now");
  start({});
  RestClient c(server_->base_url(), kKey, fast_policy());
  // A next_url naming another host is followed on our base URL.
  HttpResponse r = c.get("https://api.polygon.io/v1/marketstatus/now", {});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.url.rfind(server_->base_url(), 0), 0u) << r.url;
}

TEST_F(RestClientTest, BodiesArePaddedForSimdjson) {
  start({});
  RestClient c(server_->base_url(), kKey, fast_policy());
  HttpResponse r = c.get(kDay, {});
  EXPECT_GE(r.body.capacity(), r.body.size() + simdjson::SIMDJSON_PADDING);
}

TEST(ApiNameTest, NamesEachApi) {
  EXPECT_EQ(api_name_for_path("/v2/aggs/ticker/I:VIX/range/1/second/a/b"), "Indices aggregates API");
  EXPECT_EQ(api_name_for_path("/v2/aggs/ticker/O:SPY250117C00590000/range"), "Options aggregates API");
  EXPECT_EQ(api_name_for_path("/v3/reference/options/contracts?x"), "Options contracts reference API");
  EXPECT_EQ(api_name_for_path("/v2/reference/news"), "Ticker news API");
}

}  // namespace
}  // namespace soi
