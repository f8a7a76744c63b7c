// Building blocks of the simulator without sockets: URL/cursor/JSON helpers,
// OCC symbols, Black-Scholes, the LRU cache, the synthetic market and the router.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>

#include <fmt/format.h>

#include "simulator/cursor_codec.hpp"
#include "simulator/daily_walk.hpp"
#include "simulator/json_writer.hpp"
#include "simulator/lru_cache.hpp"
#include "simulator/occ_ticker.hpp"
#include "simulator/option_pricing.hpp"
#include "simulator/query_params.hpp"
#include "simulator/rest_router.hpp"
#include "simulator/synthetic_market.hpp"
#include "utils/error.hpp"

namespace soi::sim {
namespace {

Date day(const char* text) { return *parse_date(text); }

double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n, mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

TEST(SimQueryParams, ParsesDecodesAndEncodes) {
  auto p = QueryParams::parse("a=1&b=x%20y+z&flag&a=2&strike_price.gte=5.5&empty=");
  EXPECT_EQ(p.get("a").value(), "2");  // last one wins
  EXPECT_EQ(p.get("b").value(), "x y z");
  EXPECT_EQ(p.get("flag").value(), "");
  EXPECT_EQ(p.get("strike_price.gte").value(), "5.5");
  EXPECT_FALSE(p.get("missing"));
  QueryParams q;
  q.set("published_utc.gte", "2025-01-14T10:00:00+00:00");
  q.set("ticker", "O:SPY");
  EXPECT_EQ(q.encode(), "published_utc.gte=2025-01-14T10%3A00%3A00%2B00%3A00&ticker=O%3ASPY");
  EXPECT_EQ(QueryParams::parse(q.encode()).get("published_utc.gte").value(), "2025-01-14T10:00:00+00:00");
  EXPECT_EQ(split_path("/v2/aggs/ticker/I%3AVIX//range/"),
            (std::vector<std::string>{"v2", "aggs", "ticker", "I:VIX", "range"}));
  EXPECT_EQ(percent_decode("100%", false), "100%");
  EXPECT_EQ(percent_decode("%zz", false), "%zz");
  EXPECT_EQ(percent_encode_segment("O:SPY 1"), "O:SPY%201");
  auto t = split_target("/x/y?k=v");
  EXPECT_EQ(t.path, "/x/y");
  EXPECT_EQ(t.query, "k=v");
}

TEST(SimCursorCodec, Base64RoundTripsAndReadsTheRealFormat) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", "limit=5000&sort=asc",
                                                     std::string("\0\xff\x10", 3)})
    EXPECT_EQ(base64_decode(base64_encode(s)).value(), s);
  EXPECT_EQ(base64_decode("bGltaXQ9NTAwMCZzb3J0PWFzYw").value(), "limit=5000&sort=asc");
  EXPECT_EQ(base64_decode("bGltaXQ9MiZzb3J0PWFzYw==").value(), "limit=2&sort=asc");
  EXPECT_EQ(base64_decode("/+8=").value(), base64_decode("_-8").value());
  EXPECT_FALSE(base64_decode("ab$c"));
  EXPECT_FALSE(base64_decode("a"));
  QueryParams p;
  p.set("limit", "10");
  p.set("after_id", "x&y");
  auto back = decode_cursor(encode_cursor(p)).value();
  EXPECT_EQ(back.get("after_id").value(), "x&y");
  EXPECT_EQ(encode_cursor(p).find_first_of("+/="), std::string::npos);
}

TEST(SimJsonWriter, WritesCompactEscapedJson) {
  JsonWriter w;
  w.begin_object().field("s", "a\"b\\c\n\x01").field("d", 598.62).field("i", 590.0).field("n", std::int64_t{-3});
  w.field("nan", std::nan("")).field("b", true);
  w.key("a").begin_array().value(1).value(0.1).begin_object().end_object().end_array().end_object();
  EXPECT_EQ(w.str(), R"({"s":"a\"b\\c\n\u0001","d":598.62,"i":590,"n":-3,"nan":null,"b":true,"a":[1,0.1,{}]})");
}

// Numbers are written as fmt's "{}" writes them (the wire the simulator has
// always sent), whichever way the writer gets there.
TEST(SimJsonWriter, NumbersAreFmtsShortestForm) {
  std::vector<double> doubles = {0.0, -0.0, 1e-4, 9.99e-5, 1e15, 1e16, -1e16, 123456789012345.6, 1e22, 5e-324,
                                 std::numeric_limits<double>::max(), 0.1 + 0.2, 100000.0, 589.12, -0.00012};
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> exponent(-8, 18);
  std::uniform_real_distribution<double> mantissa(-10, 10);
  for (int i = 0; i < 20000; ++i) doubles.push_back(mantissa(random) * std::pow(10.0, exponent(random)));
  for (double price = 400; price < 401; price += 0.01) doubles.push_back(price);
  // Exact cents, ten-thousandths and whole numbers (a day's prices, VWAPs and volumes)
  // take a shorter way; so do their neighbours a few units in the last place away, which must not.
  std::uniform_int_distribution<long long> units(-9'999'999'999'999LL, 9'999'999'999'999LL);
  for (int i = 0; i < 20000; ++i) {
    const long long k = units(random) >> (i % 40);
    for (const double scale : {1.0, 100.0, 10000.0}) {
      const double exact = static_cast<double>(k) / scale;
      doubles.push_back(exact);
      doubles.push_back(std::nextafter(exact, 1e300));
      doubles.push_back(std::nextafter(std::nextafter(exact, -1e300), -1e300));
    }
  }
  for (const double edge : {999999999.9999, -999999999.9999, 1e9, 1e9 - 1, 0.0001, -0.0001, 0.00015, 0.5, 9.9999, 10.0,
                            590.1, 590.10000000000002, 1e-300})
    doubles.push_back(edge);
  for (const double d : doubles) {
    JsonWriter w;
    w.value(d);
    EXPECT_EQ(w.str(), fmt::format("{}", d));
  }
  for (const std::int64_t n : {std::int64_t{0}, std::int64_t{-1}, std::numeric_limits<std::int64_t>::min(),
                               std::numeric_limits<std::int64_t>::max(), std::int64_t{1737124200000}}) {
    JsonWriter w;
    w.value(n);
    EXPECT_EQ(w.str(), fmt::format("{}", n));
  }
}

TEST(SimOccTicker, ParsesAndFormats) {
  auto c = parse_occ_ticker("O:SPY250117C00590000").value();
  EXPECT_EQ(c.root, "SPY");
  EXPECT_EQ(c.expiration, day("2025-01-17"));
  EXPECT_TRUE(c.is_call);
  EXPECT_EQ(c.strike(), 590.0);
  EXPECT_EQ(format_occ_ticker(c), "O:SPY250117C00590000");
  EXPECT_EQ(format_occ_ticker(OccContract{"SPXW", day("2025-03-07"), false, 2500}), "O:SPXW250307P00002500");
  for (const char* bad : {"SPY250117C00590000", "O:SPY250117X00590000", "O:SPY251317C00590000", "O:SPY2501C0059",
                          "O:spy250117C00590000"})
    EXPECT_FALSE(parse_occ_ticker(bad)) << bad;
  EXPECT_EQ(classify_ticker("I:VIX"), TickerKind::index);
  EXPECT_EQ(feed_of("O:SPY250117C00590000"), "options");
  EXPECT_EQ(feed_of("SPY"), "spy");
  EXPECT_EQ(feed_of("I:VIX"), "vix");
}

TEST(SimOptionPricing, BlackScholesBehaves) {
  const double s = 590, k = 590, t = 30.0 / 365, r = kRiskFreeRate, v = 0.16;
  const double call = black_scholes(true, s, k, t, r, v), put = black_scholes(false, s, k, t, r, v);
  EXPECT_NEAR(call - put, s - k * std::exp(-r * t), 1e-9);  // put-call parity
  EXPECT_NEAR(call, 11.6, 0.5);
  EXPECT_GT(black_scholes(true, 595, k, t, r, v), call);
  EXPECT_LT(black_scholes(false, 595, k, t, r, v), put);
  // At the bell the floor keeps prices just above intrinsic value.
  EXPECT_NEAR(black_scholes(true, 600, 590, 0, r, v), 10.0, 0.05);
  EXPECT_GE(black_scholes(false, 600, 590, 0, r, v), 0.0);
  EXPECT_GT(skewed_volatility(0.16, 590, 550), skewed_volatility(0.16, 590, 630));
}

TEST(SimLruCache, EvictsByWeight) {
  LruCache<int, int> cache(10);
  cache.put(1, 1, 4);
  cache.put(2, 2, 4);
  EXPECT_EQ(cache.get(1).value(), 1);  // 1 is now most recent
  cache.put(3, 3, 4);                  // evicts 2
  EXPECT_FALSE(cache.get(2));
  EXPECT_TRUE(cache.get(1));
  cache.put(4, 4, 50);  // alone over budget: kept, everything else goes
  EXPECT_EQ(cache.size(), 1u);
  int calls = 0;
  EXPECT_EQ(cache.get_or_compute(4, [&] { return ++calls; }, [](int) { return std::size_t{1}; }), 4);
  EXPECT_EQ(calls, 0);
}

TEST(SimDailyWalk, DeterministicWhateverTheQueryOrder) {
  WalkParams p{42, "SPY", 590, 16, 1};
  DailyWalk forward(p), backward(p);
  const auto a = forward.day(day("2024-06-03"));
  const auto early = backward.day(day("2018-06-04"));  // backward first, then forward
  const auto b = backward.day(day("2024-06-03"));
  ASSERT_TRUE(a && b && early);
  EXPECT_EQ(a->open, b->open);
  EXPECT_EQ(a->close, b->close);
  EXPECT_EQ(a->vix_open, b->vix_open);
  EXPECT_EQ(forward.day(day("2018-06-04"))->open, early->open);
  EXPECT_FALSE(forward.day(day("2024-06-01")));  // Saturday
  EXPECT_EQ(forward.day(day("2020-01-02"))->open, 590.0);
  EXPECT_EQ(forward.day(day("2024-06-03"))->prev_close, forward.day(day("2024-05-31"))->close);
  EXPECT_FALSE(forward.day(day("1985-01-02")));
}

TEST(SimDailyWalk, VixMovesAgainstSpyAndPricesStayNearTheAnchor) {
  DailyWalk walk(WalkParams{7, "SPY", 500, 18, 1});
  std::vector<double> returns, vix_changes;
  std::optional<DailyState> prev;
  MarketCalendar calendar;
  for (Date d : calendar.trading_days(day("2021-01-04"), day("2024-12-31"))) {
    auto s = walk.day(d);
    ASSERT_TRUE(s);
    EXPECT_GT(s->open, 500 * 0.6);
    EXPECT_LT(s->open, 500 * 1.5);
    EXPECT_GT(s->vix_open, 8);
    if (prev) {
      returns.push_back(std::log(prev->close / prev->open));
      vix_changes.push_back(std::log(s->vix_open / prev->vix_open));
    }
    prev = s;
  }
  EXPECT_LT(correlation(returns, vix_changes), -0.5);
}

TEST(SimSyntheticMarket, IntradayVixIsInverseToSpyAndGenerationIsFast) {
  SimulatorConfig config;
  SyntheticMarket market(config), again(config);
  const auto start = std::chrono::steady_clock::now();
  auto spy = market.day_bars("SPY", day("2025-01-17"));
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::cout << "SPY day (" << spy->size() << " bars) generated in " << ms << " ms\n";
  EXPECT_LT(ms, 1000);
  auto same = again.day_bars("SPY", day("2025-01-17"));
  ASSERT_EQ(spy->size(), same->size());
  for (std::size_t i = 0; i < spy->size(); ++i) ASSERT_EQ((*spy)[i].vwap, (*same)[i].vwap);
  auto vix = market.day_bars("I:VIX", day("2025-01-17"));
  // Minute-over-minute changes, aligned on minutes where both have bars.
  std::map<std::int64_t, double> spy_close, vix_close;
  for (const auto& b : *spy) spy_close[b.ts_ms - b.ts_ms % 60000] = b.close;
  for (const auto& b : *vix) vix_close[b.ts_ms - b.ts_ms % 60000] = b.close;
  std::vector<double> ds, dv;
  double last_s = 0, last_v = 0;
  for (const auto& [t, v] : vix_close) {
    auto it = spy_close.find(t);
    if (it == spy_close.end()) continue;
    if (last_s > 0) ds.push_back(std::log(it->second / last_s)), dv.push_back(std::log(v / last_v));
    last_s = it->second, last_v = v;
  }
  ASSERT_GT(ds.size(), 300u);
  const double intraday = correlation(ds, dv);
  std::cout << "SPY/VIX minute correlation " << intraday << "\n";
  EXPECT_LT(intraday, -0.5);
  EXPECT_TRUE(market.day_bars("SPY", day("2025-01-20"))->empty());  // MLK day
  EXPECT_TRUE(market.day_bars("O:SPY250117C00590000", day("2025-01-21"))->empty());  // after expiry
  EXPECT_FALSE(market.day_bars("QQQ", day("2025-01-17"))->empty());  // any stock ticker works
  EXPECT_FALSE(market.day_bars("I:SPX", day("2025-01-17"))->empty());
}

TEST(SimRestRouter, HandlesRequestsWithoutSockets) {
  SimulatorOptions options;
  options.clock = [] { return ny_wall_to_utc_ms(day("2025-02-03"), 12 * 60); };
  RestRouter router(options);
  SimRequest request;
  request.path = "/v1/marketstatus/now";
  auto unauthorized = router.handle(request);
  EXPECT_EQ(unauthorized.status, 401);
  EXPECT_NE(unauthorized.body.find("API Key was not provided"), std::string::npos);
  request.authorization = "Bearer abc";
  auto ok = router.handle(request);
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("\"market\":\"open\""), std::string::npos);
  EXPECT_EQ(ok.request_id.size(), 32u);
  EXPECT_NE(ok.request_id, unauthorized.request_id);

  SimulatorOptions bad = options;
  bad.config.data = "live";
  EXPECT_THROW(RestRouter{bad}, SoiError);
  bad = options;
  bad.config.data = "replay";
  bad.config.replay_dir = "/nonexistent/soi-replay";
  EXPECT_THROW(RestRouter{bad}, SoiError);
  bad = options;
  bad.config.spy_open = -1;
  EXPECT_THROW(RestRouter{bad}, SoiError);
}

}  // namespace
}  // namespace soi::sim
