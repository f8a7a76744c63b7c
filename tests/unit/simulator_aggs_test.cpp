// Aggregates endpoint of the simulator over a real loopback server: shapes,
// determinism, bar validity, sparsity, pagination, errors and auth.
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "simulator/cursor_codec.hpp"
#include "simulator_test_support.hpp"

namespace soi::sim::test {
namespace {

struct Page {
  std::vector<Bar> bars;
  std::string next_url;
};

std::string without_request_id(const std::string& body) {
  return std::regex_replace(body, std::regex(R"("request_id":"[0-9a-f]{32}")"), "");
}

// Bars of one response (stock/option keys; index bars have zero v/vw/n).
Page parse_page(const HttpResult& r) {
  Page page;
  Json doc(r.body);
  EXPECT_TRUE(doc.ok) << r.body.substr(0, 200);
  if (!doc.ok) return page;
  if (doc.has("next_url")) page.next_url = str(doc.root, "next_url");
  if (!doc.has("results")) return page;
  for (auto e : doc["results"].get_array()) {
    Bar b;
    b.ts_ms = int_of(e, "t");
    b.open = num(e, "o");
    b.high = num(e, "h");
    b.low = num(e, "l");
    b.close = num(e, "c");
    if (has_key(e, "v")) b.volume = num(e, "v"), b.fields |= kBarHasVolume;
    if (has_key(e, "vw")) b.vwap = num(e, "vw"), b.fields |= kBarHasVwap;
    if (has_key(e, "n")) b.transactions = int_of(e, "n"), b.fields |= kBarHasTransactions;
    page.bars.push_back(b);
  }
  return page;
}

// Follows next_url until the last page; returns every bar and the page count.
std::vector<Bar> fetch_all(const SimulatorServer& server, const std::string& first_path, int* pages = nullptr) {
  std::vector<Bar> all;
  std::string path = first_path;
  int count = 0;
  while (!path.empty() && count < 1000) {
    auto r = http_get(server.base_url() + path);
    EXPECT_EQ(r.status, 200) << r.body.substr(0, 300);
    if (r.status != 200) break;
    Page p = parse_page(r);
    all.insert(all.end(), p.bars.begin(), p.bars.end());
    path = p.next_url.empty() ? "" : path_of(p.next_url);
    ++count;
  }
  if (pages) *pages = count;
  return all;
}

void expect_valid(const std::vector<Bar>& bars, bool full_fields) {
  for (const auto& b : bars) {
    ASSERT_EQ(b.ts_ms % 1000, 0);
    ASSERT_LE(b.low, b.open);
    ASSERT_LE(b.low, b.close);
    ASSERT_GE(b.high, b.open);
    ASSERT_GE(b.high, b.close);
    ASSERT_GT(b.low, 0);
    if (full_fields) {
      ASSERT_EQ(b.fields, kBarFullFields);
      ASSERT_GT(b.volume, 0);
      ASSERT_GE(b.vwap, b.low);
      ASSERT_LE(b.vwap, b.high);
      ASSERT_GE(b.transactions, 1);
    }
  }
}

using AggsTest = ServerTest;

TEST_F(AggsTest, SpySecondBarsHaveTheContractShape) {
  auto r = http_get(url("/v2/aggs/ticker/SPY/range/1/second/2025-01-17/2025-01-17?limit=10"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "application/json");
  Json doc(r.body);
  ASSERT_TRUE(doc.ok);
  EXPECT_EQ(str(doc.root, "ticker"), "SPY");
  EXPECT_EQ(str(doc.root, "status"), "OK");
  EXPECT_TRUE(std::regex_match(str(doc.root, "request_id"), std::regex("[0-9a-f]{32}")));
  EXPECT_EQ(int_of(doc.root, "resultsCount"), 10);
  EXPECT_EQ(int_of(doc.root, "queryCount"), 10);
  EXPECT_EQ(int_of(doc.root, "count"), 10);
  EXPECT_TRUE(doc["adjusted"].get_bool().value());
  for (auto e : doc["results"].get_array())
    for (const char* k : {"v", "vw", "o", "c", "h", "l", "t", "n"}) EXPECT_TRUE(has_key(e, k)) << k;
  // Extended hours start at 04:00 New York.
  const auto first_t = int_of(doc["results"].at(0).value(), "t");
  EXPECT_GE(first_t, ny_wall_to_utc_ms(*parse_date("2025-01-17"), 4 * 60));
  ASSERT_TRUE(doc.has("next_url"));
  const std::string next = str(doc.root, "next_url");
  EXPECT_EQ(next.rfind(server->base_url() + "/v2/aggs/ticker/SPY/range/1/second/", 0), 0u) << next;
  EXPECT_EQ(next.find("apiKey"), std::string::npos);
  const auto cursor = next.substr(next.find("cursor=") + 7);
  EXPECT_EQ(base64_decode(cursor).value(), "limit=10&sort=asc&adjusted=true");
}

TEST_F(AggsTest, SameSeedSameBarsAcrossServersAndDifferentSeedDiffers) {
  auto other = start_server();
  auto third = start_server(test_options(7));
  for (const std::string path : {"/v2/aggs/ticker/SPY/range/1/second/2025-01-16/2025-01-17?limit=3000",
                                 "/v2/aggs/ticker/I:VIX/range/1/minute/2025-01-17/2025-01-17",
                                 "/v2/aggs/ticker/O:SPY250117C00590000/range/1/second/2025-01-17/2025-01-17"}) {
    auto a = http_get(url(path));
    auto b = http_get(other->base_url() + path);
    auto c = http_get(third->base_url() + path);
    ASSERT_EQ(a.status, 200);
    // Same bars whatever the server instance (next_url differs only by port).
    const auto strip = [](const HttpResult& r, int port) {
      return std::regex_replace(without_request_id(r.body), std::regex(":" + std::to_string(port)), ":PORT");
    };
    EXPECT_EQ(strip(a, server->port()), strip(b, other->port())) << path;
    EXPECT_NE(strip(a, server->port()), strip(c, third->port())) << path;
  }
}

TEST_F(AggsTest, SameBarsWhateverThePage) {
  // A bar served inside a big page equals the bar served alone.
  auto big = parse_page(http_get(url("/v2/aggs/ticker/SPY/range/1/second/2025-01-17/2025-01-17?limit=50000")));
  ASSERT_GT(big.bars.size(), 1000u);
  const Bar& mid = big.bars[big.bars.size() / 2];
  auto one = parse_page(http_get(url("/v2/aggs/ticker/SPY/range/1/second/" + std::to_string(mid.ts_ms) + "/" +
                                     std::to_string(mid.ts_ms))));
  ASSERT_EQ(one.bars.size(), 1u);
  EXPECT_EQ(one.bars[0].open, mid.open);
  EXPECT_EQ(one.bars[0].volume, mid.volume);
  EXPECT_EQ(one.bars[0].vwap, mid.vwap);
}

TEST_F(AggsTest, SpyBarsAreValidAndSparseLikeTheRealFeed) {
  const Date d = *parse_date("2025-01-17");
  auto bars = fetch_all(*server, "/v2/aggs/ticker/SPY/range/1/second/2025-01-17/2025-01-17?limit=50000");
  expect_valid(bars, true);
  const auto open = ny_wall_to_utc_ms(d, 9 * 60 + 30), close = ny_wall_to_utc_ms(d, 16 * 60);
  std::size_t regular = 0, extended = 0;
  for (const auto& b : bars) (b.ts_ms >= open && b.ts_ms < close ? regular : extended)++;
  const double regular_full = regular / 23400.0, extended_full = extended / (57600.0 - 23400.0);
  EXPECT_GT(regular_full, 0.96);
  EXPECT_LT(regular_full, 0.995);
  EXPECT_GT(extended_full, 0.3);
  EXPECT_LT(extended_full, 0.5);
  EXPECT_EQ(bars.front().ts_ms >= ny_wall_to_utc_ms(d, 4 * 60), true);
  EXPECT_LT(bars.back().ts_ms, ny_wall_to_utc_ms(d, 20 * 60));
  // Near the configured spy_open (590) thanks to the mean-reverting daily walk.
  EXPECT_GT(bars.front().open, 590 * 0.6);
  EXPECT_LT(bars.front().open, 590 * 1.4);
}

TEST_F(AggsTest, EarlyCloseDayEndsTheSessionAt13) {
  const Date d = *parse_date("2024-11-29");  // day after Thanksgiving
  auto bars = fetch_all(*server, "/v2/aggs/ticker/SPY/range/1/second/2024-11-29/2024-11-29?limit=50000");
  ASSERT_FALSE(bars.empty());
  EXPECT_LT(bars.back().ts_ms, ny_wall_to_utc_ms(d, 17 * 60));  // after-hours end 4h after the 13:00 close
  auto vix = fetch_all(*server, "/v2/aggs/ticker/I:VIX/range/1/second/2024-11-29/2024-11-29?limit=50000");
  ASSERT_EQ(vix.size(), 12600u);
  EXPECT_EQ(vix.back().ts_ms, ny_wall_to_utc_ms(d, 13 * 60) - 1000);
}

TEST_F(AggsTest, IndexBarsHaveOnlyOhlcT) {
  auto r = http_get(url("/v2/aggs/ticker/I:VIX/range/1/second/2025-01-17/2025-01-17?limit=50000"));
  ASSERT_EQ(r.status, 200);
  Json doc(r.body);
  EXPECT_FALSE(doc.has("adjusted"));
  auto results = doc["results"].get_array().value();
  EXPECT_EQ(results.size(), 23400u);  // every second of the regular session
  for (auto e : results) {
    for (const char* k : {"v", "vw", "n"}) ASSERT_FALSE(has_key(e, k)) << k;
    for (const char* k : {"o", "h", "l", "c", "t"}) ASSERT_TRUE(has_key(e, k)) << k;
  }
  auto bars = parse_page(r).bars;
  expect_valid(bars, false);
  EXPECT_GT(bars.front().open, 8);
  EXPECT_LT(bars.front().open, 80);
}

TEST_F(AggsTest, OptionBarsAreSparseValidAndFollowTheUnderlying) {
  const std::string base = "/v2/aggs/ticker/O:SPY250117C00";
  auto spy = parse_page(http_get(url("/v2/aggs/ticker/SPY/range/1/second/2025-01-17/2025-01-17?limit=50000")));
  const Date d = *parse_date("2025-01-17");
  const auto open_ms = ny_wall_to_utc_ms(d, 9 * 60 + 30);
  double spy_open = 0;
  for (const auto& b : spy.bars)
    if (b.ts_ms == open_ms) spy_open = b.open;
  ASSERT_GT(spy_open, 0);
  const int atm = static_cast<int>(std::round(spy_open));
  const auto ticker = [&](int strike, char type) {
    return fmt::format("O:SPY250117{}{:08}", type, strike * 1000);
  };
  auto atm_call = fetch_all(*server, "/v2/aggs/ticker/" + ticker(atm, 'C') + "/range/1/second/2025-01-17/2025-01-17");
  auto far_put = fetch_all(*server, "/v2/aggs/ticker/" + ticker(atm - 60, 'P') + "/range/1/second/2025-01-17/2025-01-17");
  expect_valid(atm_call, true);
  expect_valid(far_put, true);
  const double atm_share = atm_call.size() / 23400.0, far_share = far_put.size() / 23400.0;
  EXPECT_GT(atm_share, 0.05);
  EXPECT_LT(atm_share, 0.25);
  EXPECT_GT(far_share, 0.02);
  EXPECT_LT(far_share, atm_share);
  for (const auto& b : atm_call) {
    ASSERT_GE(b.ts_ms, open_ms);
    ASSERT_LT(b.ts_ms, ny_wall_to_utc_ms(d, 16 * 60));
  }
  // A call gains when SPY rises: compare the call's price change with SPY's over the day.
  ASSERT_GT(atm_call.size(), 100u);
  const auto spy_at = [&](std::int64_t t) {
    double last = spy_open;
    for (const auto& b : spy.bars) {
      if (b.ts_ms > t) break;
      last = b.close;
    }
    return last;
  };
  int agree = 0, total = 0;
  for (std::size_t i = 50; i < atm_call.size(); i += 50) {
    const double d_call = atm_call[i].close - atm_call[i - 50].close;
    const double d_spy = spy_at(atm_call[i].ts_ms) - spy_at(atm_call[i - 50].ts_ms);
    if (std::abs(d_spy) < 0.05) continue;
    ++total;
    if ((d_call > 0) == (d_spy > 0)) ++agree;
  }
  ASSERT_GT(total, 5);
  EXPECT_GT(agree, total * 0.7) << agree << "/" << total;
  // Expired or malformed contracts have no bars.
  auto expired = http_get(url("/v2/aggs/ticker/O:SPY250110C00590000/range/1/second/2025-01-17/2025-01-17"));
  EXPECT_EQ(str(Json(expired.body).root, "status"), "OK");
  EXPECT_FALSE(Json(expired.body).has("results"));
}

TEST_F(AggsTest, PaginationServesEveryBarExactlyOnce) {
  auto single = parse_page(http_get(url("/v2/aggs/ticker/SPY/range/1/second/2025-01-17/2025-01-17?limit=50000")));
  ASSERT_TRUE(single.next_url.empty());
  for (int limit : {1000, 50000}) {
    int pages = 0;
    auto all = fetch_all(*server,
                         "/v2/aggs/ticker/SPY/range/1/second/2025-01-16/2025-01-17?limit=" + std::to_string(limit),
                         &pages);
    std::set<std::int64_t> seen;
    for (std::size_t i = 0; i < all.size(); ++i) {
      ASSERT_TRUE(seen.insert(all[i].ts_ms).second) << "duplicate " << all[i].ts_ms;
      if (i > 0) {
        ASSERT_LT(all[i - 1].ts_ms, all[i].ts_ms);
      }
    }
    EXPECT_EQ(pages, static_cast<int>((all.size() + limit - 1) / limit));
    // The second day matches the single-page answer bar for bar.
    std::size_t from = all.size() - single.bars.size();
    for (std::size_t i = 0; i < single.bars.size(); ++i) ASSERT_EQ(all[from + i].ts_ms, single.bars[i].ts_ms);
    EXPECT_EQ(all[from - 1].ts_ms < single.bars.front().ts_ms, true);
  }
}

TEST_F(AggsTest, DescendingPaginationIsTheReverse) {
  auto asc = fetch_all(*server, "/v2/aggs/ticker/SPY/range/1/minute/2025-01-16/2025-01-17?limit=300");
  auto desc = fetch_all(*server, "/v2/aggs/ticker/SPY/range/1/minute/2025-01-16/2025-01-17?limit=300&sort=desc");
  ASSERT_EQ(asc.size(), desc.size());
  ASSERT_GT(asc.size(), 1500u);
  for (std::size_t i = 0; i < asc.size(); ++i) ASSERT_EQ(asc[i].ts_ms, desc[desc.size() - 1 - i].ts_ms);
}

TEST_F(AggsTest, MinuteBarsAggregateTheSecondBars) {
  auto seconds = fetch_all(*server, "/v2/aggs/ticker/SPY/range/1/second/2025-01-17/2025-01-17?limit=50000");
  auto r = http_get(url("/v2/aggs/ticker/SPY/range/1/minute/2025-01-17/2025-01-17?limit=50000"));
  Json doc(r.body);
  EXPECT_EQ(int_of(doc.root, "queryCount"), static_cast<std::int64_t>(seconds.size()));
  auto minutes = parse_page(r).bars;
  expect_valid(minutes, true);
  std::map<std::int64_t, std::vector<Bar>> by_minute;
  for (const auto& b : seconds) by_minute[b.ts_ms - b.ts_ms % 60000].push_back(b);
  ASSERT_EQ(minutes.size(), by_minute.size());
  for (const auto& m : minutes) {
    const auto& group = by_minute.at(m.ts_ms);
    double volume = 0, high = 0;
    for (const auto& b : group) volume += b.volume, high = std::max(high, b.high);
    ASSERT_EQ(m.open, group.front().open);
    ASSERT_EQ(m.close, group.back().close);
    ASSERT_EQ(m.high, high);
    ASSERT_DOUBLE_EQ(m.volume, volume);
  }
  auto five = parse_page(http_get(url("/v2/aggs/ticker/SPY/range/5/minute/2025-01-17/2025-01-17?limit=50000"))).bars;
  EXPECT_EQ(five.size(), 16u * 12u);
  for (const auto& b : five) EXPECT_EQ(b.ts_ms % 300000, 0);
}

TEST_F(AggsTest, EmptyResultOmitsResults) {
  auto r = http_get(url("/v2/aggs/ticker/SPY/range/1/second/2025-01-18/2025-01-19"));  // a weekend
  ASSERT_EQ(r.status, 200);
  Json doc(r.body);
  EXPECT_EQ(str(doc.root, "status"), "OK");
  EXPECT_EQ(int_of(doc.root, "resultsCount"), 0);
  EXPECT_EQ(int_of(doc.root, "queryCount"), 0);
  EXPECT_FALSE(doc.has("results"));
  EXPECT_FALSE(doc.has("next_url"));
  // The future has no data either (the pinned clock is 2025-02-03 15:00 New York).
  auto future = http_get(url("/v2/aggs/ticker/SPY/range/1/second/2025-02-04/2025-02-05"));
  EXPECT_FALSE(Json(future.body).has("results"));
  auto today = parse_page(http_get(url("/v2/aggs/ticker/SPY/range/1/minute/2025-02-03/2025-02-03?limit=50000")));
  ASSERT_FALSE(today.bars.empty());
  EXPECT_LT(today.bars.back().ts_ms, pinned_now_ms());
}

TEST_F(AggsTest, MillisecondBoundsAreInclusive) {
  const auto t0 = ny_wall_to_utc_ms(*parse_date("2025-01-17"), 10 * 60);
  auto bars = parse_page(http_get(url("/v2/aggs/ticker/I:VIX/range/1/second/" + std::to_string(t0) + "/" +
                                      std::to_string(t0 + 9000)))).bars;
  ASSERT_EQ(bars.size(), 10u);
  EXPECT_EQ(bars.front().ts_ms, t0);
  EXPECT_EQ(bars.back().ts_ms, t0 + 9000);
}

TEST_F(AggsTest, BadRequestsGet400WithAClearText) {
  auto r = http_get(url("/v2/aggs/ticker/SPY/range/1/second/2025-01-17/2025-01-16"));
  EXPECT_EQ(r.status, 400);
  Json doc(r.body);
  EXPECT_EQ(str(doc.root, "status"), "ERROR");
  EXPECT_EQ(str(doc.root, "error"), "The parameter 'to' cannot be a time that occurs before 'from'");
  for (const std::string path : {"/v2/aggs/ticker/SPY/range/0/second/2025-01-17/2025-01-17",
                                 "/v2/aggs/ticker/SPY/range/1/fortnight/2025-01-17/2025-01-17",
                                 "/v2/aggs/ticker/SPY/range/1/second/2025-13-01/2025-01-17",
                                 "/v2/aggs/ticker/SPY/range/1/second/2025-01-17/2025-01-17?limit=abc",
                                 "/v2/aggs/ticker/SPY/range/1/second/2025-01-17/2025-01-17?sort=up",
                                 "/v2/aggs/ticker/SPY/range/1/second/2025-01-17/2025-01-17?cursor=%25%25"}) {
    auto bad = http_get(url(path));
    EXPECT_EQ(bad.status, 400) << path;
    Json b(bad.body);
    EXPECT_EQ(str(b.root, "status"), "ERROR");
    EXPECT_FALSE(str(b.root, "error").empty());
  }
  // limit above the maximum is clamped, not refused.
  auto big = http_get(url("/v2/aggs/ticker/I:VIX/range/1/second/2025-01-16/2025-01-17?limit=90000"));
  EXPECT_EQ(int_of(Json(big.body).root, "resultsCount"), 46800);
}

TEST_F(AggsTest, AuthLikeTheRealService) {
  const std::string path = "/v2/aggs/ticker/SPY/range/1/minute/2025-01-17/2025-01-17?limit=1";
  auto none = http_get(url(path), GetOptions{""});
  EXPECT_EQ(none.status, 401);
  Json doc(none.body);
  EXPECT_EQ(str(doc.root, "status"), "ERROR");
  EXPECT_EQ(str(doc.root, "error"), "API Key was not provided");
  EXPECT_EQ(str(doc.root, "request_id").size(), 32u);
  EXPECT_EQ(http_get(url(path + "&apiKey=anything"), GetOptions{""}).status, 200);

  auto options = test_options();
  options.api_key = "secret-key-1234";
  auto strict = start_server(options);
  auto wrong = http_get(strict->base_url() + path, GetOptions{"other"});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(str(Json(wrong.body).root, "error"), "Unknown API Key");
  EXPECT_EQ(http_get(strict->base_url() + path, GetOptions{"secret-key-1234"}).status, 200);
  EXPECT_EQ(http_get(strict->base_url() + path + "&apiKey=secret-key-1234", GetOptions{""}).status, 200);
}

TEST_F(AggsTest, FiftyThousandBarPageIsFast) {
  const std::string path = "/v2/aggs/ticker/SPY/range/1/second/2025-01-13/2025-01-14?limit=50000";
  http_get(url(path));  // generate (and cache) the days
  auto r = http_get(url(path));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(int_of(Json(r.body).root, "resultsCount"), 50000);
  // Generous bound: sanitizer builds on a shared 2-core machine are slow.
  EXPECT_LT(r.seconds, 2.0);
  std::cout << "50k-bar page served in " << r.seconds * 1000 << " ms (" << r.body.size() << " bytes)\n";
}

TEST_F(AggsTest, ConcurrentClientsOnColdCachesGetIdenticalAnswers) {
  const std::vector<std::string> paths = {
      "/v2/aggs/ticker/SPY/range/1/second/2024-03-04/2024-03-05?limit=20000",
      "/v2/aggs/ticker/I:VIX/range/1/minute/2024-03-04/2024-03-08",
      "/v2/aggs/ticker/O:SPY240308P00500000/range/1/second/2024-03-04/2024-03-08?limit=50000",
      "/v2/aggs/ticker/QQQ/range/5/minute/2024-03-04/2024-03-08",
      "/v2/reference/news?published_utc.gte=2024-03-01&limit=50",
      "/v3/reference/options/contracts?as_of=2024-03-04&limit=200"};
  std::vector<std::vector<std::string>> bodies(6);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < bodies.size(); ++t) {
    bodies[t].resize(paths.size());
    threads.emplace_back([&, t] {
      // Each thread walks the paths in a different order to mix cache misses.
      for (std::size_t i = 0; i < paths.size(); ++i) {
        const std::size_t k = (i + t) % paths.size();
        bodies[t][k] = without_request_id(http_get(url(paths[k])).body);
      }
    });
  }
  for (auto& th : threads) th.join();
  auto fresh = start_server();
  for (std::size_t k = 0; k < paths.size(); ++k) {
    const std::string expected = std::regex_replace(without_request_id(http_get(fresh->base_url() + paths[k]).body),
                                                    std::regex(":" + std::to_string(fresh->port())), ":PORT");
    for (const auto& b : bodies)
      EXPECT_EQ(std::regex_replace(b[k], std::regex(":" + std::to_string(server->port())), ":PORT"), expected)
          << paths[k];
  }
}

TEST_F(AggsTest, NextUrlUsesTheHostHeader) {
  auto r = http_get(url("/v2/aggs/ticker/I:VIX/range/1/second/2025-01-17/2025-01-17?limit=5"),
                    GetOptions{"k", {"Host: sim.example:9999"}});
  const std::string next = str(Json(r.body).root, "next_url");
  EXPECT_EQ(next.rfind("http://sim.example:9999/v2/aggs/ticker/I:VIX/range/1/second/", 0), 0u) << next;
}

}  // namespace
}  // namespace soi::sim::test
