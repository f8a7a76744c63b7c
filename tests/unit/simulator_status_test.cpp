// Market status, open-close, prev, unknown paths, /_sim/stats and WebSocket
// upgrades outside the market paths.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "simulator_test_support.hpp"
#include "utils/error.hpp"

namespace soi::sim::test {
namespace {

using StatusTest = ServerTest;

SimulatorOptions at(const std::string& rfc3339) {
  auto o = test_options();
  const auto ms = parse_rfc3339_ms(rfc3339).value();
  o.clock = [ms] { return ms; };
  return o;
}

TEST_F(StatusTest, MarketStatusNowShape) {
  auto r = http_get(url("/v1/marketstatus/now"));
  ASSERT_EQ(r.status, 200);
  Json doc(r.body);
  EXPECT_EQ(str(doc.root, "market"), "open");  // pinned clock: Monday 15:00 New York
  EXPECT_FALSE(doc["earlyHours"].get_bool().value());
  EXPECT_FALSE(doc["afterHours"].get_bool().value());
  EXPECT_EQ(str(doc.root, "serverTime"), "2025-02-03T15:00:00-05:00");
  for (const char* k : {"nyse", "nasdaq", "otc"}) EXPECT_EQ(str(doc["exchanges"], k), "open");
  EXPECT_EQ(str(doc["currencies"], "fx"), "open");
  EXPECT_EQ(str(doc["currencies"], "crypto"), "open");
  for (const char* k : {"s_and_p", "societe_generale", "cgi", "msci", "ftse_russell", "mstar", "mstarc", "cccy",
                        "nasdaq", "dow_jones"})
    EXPECT_EQ(str(doc["indicesGroups"], k), "open") << k;
  EXPECT_FALSE(doc.has("status"));
  EXPECT_FALSE(doc.has("request_id"));
}

TEST_F(StatusTest, MarketStatusFollowsTheClockAndCalendar) {
  struct Case {
    const char* now;
    const char* market;
    bool early, after;
  };
  for (const Case& c : {Case{"2025-02-03T13:00:00Z", "extended-hours", true, false},   // 08:00 New York
                        Case{"2025-02-03T22:00:00Z", "extended-hours", false, true},   // 17:00
                        Case{"2025-02-04T02:00:00Z", "closed", false, false},          // 21:00
                        Case{"2025-02-01T16:00:00Z", "closed", false, false},          // Saturday
                        Case{"2025-12-25T16:00:00Z", "closed", false, false},          // Christmas
                        Case{"2025-11-28T19:00:00Z", "extended-hours", false, true}})  // 14:00 after early close
  {
    auto s = start_server(at(c.now));
    Json doc(http_get(s->base_url() + "/v1/marketstatus/now").body);
    EXPECT_EQ(str(doc.root, "market"), c.market) << c.now;
    EXPECT_EQ(doc["earlyHours"].get_bool().value(), c.early) << c.now;
    EXPECT_EQ(doc["afterHours"].get_bool().value(), c.after) << c.now;
  }
  auto saturday = start_server(at("2025-02-01T16:00:00Z"));
  EXPECT_EQ(str(Json(http_get(saturday->base_url() + "/v1/marketstatus/now").body)["currencies"], "fx"), "closed");
}

TEST_F(StatusTest, UpcomingListsHolidaysAndEarlyClosesForThreeExchanges) {
  auto r = http_get(url("/v1/marketstatus/upcoming"));
  ASSERT_EQ(r.status, 200);
  Json doc(r.body);
  auto rows = doc.root.get_array().value();
  ASSERT_GT(rows.size(), 30u);
  bool saw_good_friday = false, saw_thanksgiving_early = false;
  for (auto row : rows) {
    const std::string exchange = str(row, "exchange");
    EXPECT_TRUE(exchange == "NYSE" || exchange == "NASDAQ" || exchange == "OTC");
    const std::string status = str(row, "status");
    const std::string date = str(row, "date");
    EXPECT_GE(date, "2025-02-03");
    EXPECT_LE(date, "2026-02-03");
    if (status == "closed") {
      EXPECT_FALSE(has_key(row, "open"));
      if (date == "2025-04-18") saw_good_friday = true;
    } else {
      EXPECT_EQ(status, "early-close");
      if (date == "2025-11-28" && exchange == "NYSE") {
        saw_thanksgiving_early = true;
        EXPECT_EQ(str(row, "open"), "2025-11-28T14:30:00.000Z");
        EXPECT_EQ(str(row, "close"), "2025-11-28T18:00:00.000Z");
      }
    }
    EXPECT_FALSE(str(row, "name").empty());
  }
  EXPECT_TRUE(saw_good_friday);
  EXPECT_TRUE(saw_thanksgiving_early);
}

TEST_F(StatusTest, OpenCloseMatchesTheSecondBars) {
  auto r = http_get(url("/v1/open-close/SPY/2025-01-17"));
  ASSERT_EQ(r.status, 200);
  Json doc(r.body);
  EXPECT_EQ(str(doc.root, "status"), "OK");
  EXPECT_EQ(str(doc.root, "from"), "2025-01-17");
  EXPECT_EQ(str(doc.root, "symbol"), "SPY");
  auto bars = http_get(url("/v2/aggs/ticker/SPY/range/1/second/2025-01-17/2025-01-17?limit=50000"));
  Json b(bars.body);
  const Date d = *parse_date("2025-01-17");
  const auto open_ms = ny_wall_to_utc_ms(d, 9 * 60 + 30), close_ms = ny_wall_to_utc_ms(d, 16 * 60);
  double open = 0, close = 0, high = 0, low = 1e9, volume = 0, pre = 0, after = 0;
  for (auto e : b["results"].get_array()) {
    const auto t = int_of(e, "t");
    if (t < open_ms) {
      if (pre == 0) pre = num(e, "o");
      continue;
    }
    if (t >= close_ms) {
      after = num(e, "c");
      continue;
    }
    if (open == 0) open = num(e, "o");
    close = num(e, "c");
    high = std::max(high, num(e, "h"));
    low = std::min(low, num(e, "l"));
    volume += num(e, "v");
  }
  EXPECT_EQ(num(doc.root, "open"), open);
  EXPECT_EQ(num(doc.root, "close"), close);
  EXPECT_EQ(num(doc.root, "high"), high);
  EXPECT_EQ(num(doc.root, "low"), low);
  EXPECT_DOUBLE_EQ(num(doc.root, "volume"), volume);
  EXPECT_EQ(num(doc.root, "preMarket"), pre);
  EXPECT_EQ(num(doc.root, "afterHours"), after);

  auto vix = Json(http_get(url("/v1/open-close/I:VIX/2025-01-17")).body);
  EXPECT_FALSE(vix.has("volume"));
  EXPECT_EQ(num(vix.root, "preMarket"), num(vix.root, "open"));
}

TEST_F(StatusTest, OpenCloseOnAHolidayIs404) {
  for (const char* path : {"/v1/open-close/SPY/2025-01-20", "/v1/open-close/SPY/2025-01-18",
                           "/v1/open-close/SPY/2025-02-10"}) {
    auto r = http_get(url(path));
    EXPECT_EQ(r.status, 404) << path;
    Json doc(r.body);
    EXPECT_EQ(str(doc.root, "status"), "NOT_FOUND");
    EXPECT_EQ(str(doc.root, "message"), "Data not found.");
    EXPECT_EQ(str(doc.root, "request_id").size(), 32u);
  }
  EXPECT_EQ(http_get(url("/v1/open-close/SPY/17-01-2025")).status, 400);
}

TEST_F(StatusTest, PrevIsThePreviousTradingDayWithT) {
  auto r = http_get(url("/v2/aggs/ticker/SPY/prev"));
  ASSERT_EQ(r.status, 200);
  Json doc(r.body);
  EXPECT_EQ(int_of(doc.root, "resultsCount"), 1);
  auto bar = doc["results"].at(0).value();
  EXPECT_EQ(str(bar, "T"), "SPY");
  // The pinned clock is Monday 2025-02-03, so prev is Friday 2025-01-31 at 00:00 New York.
  EXPECT_EQ(int_of(bar, "t"), ny_wall_to_utc_ms(*parse_date("2025-01-31"), 0));
  for (const char* k : {"v", "vw", "o", "c", "h", "l", "n"}) EXPECT_TRUE(has_key(bar, k)) << k;
  auto oc = Json(http_get(url("/v1/open-close/SPY/2025-01-31")).body);
  EXPECT_EQ(num(bar, "o"), num(oc.root, "open"));
  EXPECT_EQ(num(bar, "c"), num(oc.root, "close"));

  auto vix = Json(http_get(url("/v2/aggs/ticker/I:VIX/prev")).body);
  auto vbar = vix["results"].at(0).value();
  EXPECT_EQ(str(vbar, "T"), "I:VIX");
  for (const char* k : {"v", "vw", "n"}) EXPECT_FALSE(has_key(vbar, k)) << k;
  EXPECT_FALSE(vix.has("adjusted"));
}

TEST_F(StatusTest, UnknownPathIs404AndStatsCountEverything) {
  auto r = http_get(url("/v9/nothing/here"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(str(Json(r.body).root, "status"), "NOT_FOUND");
  http_get(url("/v1/marketstatus/now"));
  http_get(url("/v1/marketstatus/now"), GetOptions{""});
  auto stats = http_get(url("/_sim/stats"), GetOptions{""});  // no key needed for the test hook
  ASSERT_EQ(stats.status, 200);
  Json doc(stats.body);
  EXPECT_EQ(int_of(doc["requests"], "market_status_now"), 2);
  EXPECT_EQ(int_of(doc["requests"], "not_found"), 1);
  EXPECT_EQ(int_of(doc.root, "unauthorized"), 1);
  EXPECT_EQ(int_of(doc["faults"], "rate_limit"), 0);
  EXPECT_EQ(server->router().stats().requests(Endpoint::sim_stats), 1u);
}

TEST_F(StatusTest, WebSocketUpgradeOutsideTheMarketPathsIs404) {
  // /stocks, /options and /indices are served by the WebSocket feed (simulator_ws_test.cpp).
  auto r = http_get(url("/forex"), GetOptions{"", {"Connection: Upgrade", "Upgrade: websocket",
                                                   "Sec-WebSocket-Version: 13",
                                                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="}});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(str(Json(r.body).root, "status"), "ERROR");
  EXPECT_EQ(server->router().stats().requests(Endpoint::websocket), 1u);
}

TEST_F(StatusTest, KeepAliveServesManyRequestsOnOneConnectionAndStopIsPrompt) {
  CURL* curl = curl_easy_init();
  std::string body;
  curl_slist* headers = curl_slist_append(nullptr, "Authorization: Bearer k");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  long connects = 0;
  for (int i = 0; i < 5; ++i) {
    curl_easy_setopt(curl, CURLOPT_URL, url("/v1/marketstatus/now").c_str());
    ASSERT_EQ(curl_easy_perform(curl), CURLE_OK);
    long n = 0;
    curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &n);
    connects += n;
  }
  EXPECT_EQ(connects, 1);
  // The idle keep-alive connection must not block stop().
  const auto start = std::chrono::steady_clock::now();
  server->stop();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 2.0);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
}

TEST(SimulatorServer, PortFileIsWrittenAndTheBindIsLoopbackOnly) {
  const auto dir = std::filesystem::temp_directory_path() / ("soi_sim_port_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto options = test_options();
  options.port_file = (dir / "port").string();
  auto server = start_server(options);
  std::ifstream in(options.port_file);
  int port = 0;
  in >> port;
  EXPECT_EQ(port, server->port());
  EXPECT_GT(port, 0);
  EXPECT_EQ(server->base_url(), "http://127.0.0.1:" + std::to_string(port));
  // Binding the same port again fails with a network error.
  auto clash = test_options();
  clash.port = port;
  SimulatorServer second(clash);
  EXPECT_THROW(second.start(), SoiError);
  server->stop();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace soi::sim::test
