// Options-contracts and news endpoints of the simulator: shapes, filters,
// sorting and cursor pagination.
#include <algorithm>
#include <limits>
#include <map>
#include <regex>
#include <set>

#include "simulator/occ_ticker.hpp"
#include "simulator_test_support.hpp"

namespace soi::sim::test {
namespace {

class ReferenceTest : public ServerTest {
 protected:
  // Every result object across pages (each as its raw JSON via minify).
  std::vector<std::string> fetch_all(const std::string& first, const std::string& id_key, int* pages = nullptr) {
    std::vector<std::string> ids;
    std::string path = first;
    int count = 0;
    while (!path.empty() && count < 2000) {
      auto r = http_get(url(path));
      EXPECT_EQ(r.status, 200) << r.body.substr(0, 300);
      if (r.status != 200) break;
      Json doc(r.body);
      for (auto e : doc["results"].get_array()) ids.push_back(str(e, id_key));
      path = doc.has("next_url") ? path_of(str(doc.root, "next_url")) : "";
      ++count;
    }
    if (pages) *pages = count;
    return ids;
  }

};

TEST_F(ReferenceTest, ContractsHaveTheContractShapeAndOccTickers) {
  auto r = http_get(url("/v3/reference/options/contracts?underlying_ticker=SPY&as_of=2025-01-17&limit=5"));
  ASSERT_EQ(r.status, 200);
  Json doc(r.body);
  EXPECT_EQ(str(doc.root, "status"), "OK");
  EXPECT_EQ(str(doc.root, "request_id").size(), 32u);
  auto results = doc["results"].get_array().value();
  ASSERT_EQ(results.size(), 5u);
  const std::regex occ(R"(O:SPY\d{6}[CP]\d{8})");
  for (auto e : results) {
    const std::string ticker = str(e, "ticker");
    EXPECT_TRUE(std::regex_match(ticker, occ)) << ticker;
    const auto parsed = parse_occ_ticker(ticker).value();
    EXPECT_EQ(str(e, "expiration_date"), format_date(parsed.expiration));
    EXPECT_EQ(num(e, "strike_price"), parsed.strike());
    EXPECT_EQ(str(e, "contract_type"), parsed.is_call ? "call" : "put");
    EXPECT_EQ(str(e, "cfi"), parsed.is_call ? "OCASPS" : "OPASPS");
    EXPECT_EQ(str(e, "exercise_style"), "american");
    EXPECT_EQ(str(e, "primary_exchange"), "BATO");
    EXPECT_EQ(int_of(e, "shares_per_contract"), 100);
    EXPECT_EQ(str(e, "underlying_ticker"), "SPY");
  }
  EXPECT_TRUE(doc.has("next_url"));
}

TEST_F(ReferenceTest, ChainCoversDailiesMonthliesAndAFifteenPercentBand) {
  int pages = 0;
  auto tickers = fetch_all("/v3/reference/options/contracts?as_of=2025-01-17&limit=1000", "ticker", &pages);
  ASSERT_GT(tickers.size(), 1000u);
  EXPECT_EQ(pages, static_cast<int>((tickers.size() + 999) / 1000));
  std::set<std::string> unique(tickers.begin(), tickers.end());
  EXPECT_EQ(unique.size(), tickers.size());
  EXPECT_TRUE(std::is_sorted(tickers.begin(), tickers.end()));
  std::set<std::string> expirations;
  double low = 1e9, high = 0;
  for (const auto& t : tickers) {
    auto c = parse_occ_ticker(t).value();
    expirations.insert(format_date(c.expiration));
    low = std::min(low, c.strike());
    high = std::max(high, c.strike());
  }
  // 5 daily expirations from 2025-01-17 (MLK day skipped) + February and March monthlies.
  EXPECT_EQ(expirations, (std::set<std::string>{"2025-01-17", "2025-01-21", "2025-01-22", "2025-01-23",
                                                "2025-01-24", "2025-02-21", "2025-03-21"}));
  const double width = high - low;
  EXPECT_NEAR(width / ((high + low) / 2), 0.30, 0.02);
  EXPECT_EQ(tickers.size(), expirations.size() * static_cast<std::size_t>(width + 1) * 2);
}

TEST_F(ReferenceTest, ContractFiltersSortAndOrder) {
  auto r = http_get(url("/v3/reference/options/contracts?as_of=2025-01-17&contract_type=put&expiration_date=2025-01-21"
                        "&strike_price.gte=580&strike_price.lt=585&sort=strike_price&order=desc&limit=100"));
  Json doc(r.body);
  std::vector<double> strikes;
  for (auto e : doc["results"].get_array()) {
    EXPECT_EQ(str(e, "contract_type"), "put");
    EXPECT_EQ(str(e, "expiration_date"), "2025-01-21");
    strikes.push_back(num(e, "strike_price"));
  }
  EXPECT_EQ(strikes, (std::vector<double>{584, 583, 582, 581, 580}));
  EXPECT_FALSE(doc.has("next_url"));

  auto gt = fetch_all("/v3/reference/options/contracts?as_of=2025-01-17&expiration_date.gt=2025-01-24&limit=1000",
                      "expiration_date");
  ASSERT_FALSE(gt.empty());
  for (const auto& e : gt) EXPECT_GT(e, "2025-01-24");

  auto other = http_get(url("/v3/reference/options/contracts?underlying_ticker=QQQ&as_of=2025-01-17"));
  EXPECT_EQ(Json(other.body)["results"].get_array().value().size(), 0u);

  auto expired = fetch_all("/v3/reference/options/contracts?as_of=2025-01-17&expired=true&limit=1000",
                           "expiration_date");
  ASSERT_FALSE(expired.empty());
  for (const auto& e : expired) EXPECT_LT(e, "2025-01-17");

  for (const std::string bad : {"contract_type=straddle", "expiration_date=tomorrow", "strike_price.gt=abc",
                                "sort=volume", "order=up", "limit=0", "as_of=2025-02-30"}) {
    auto b = http_get(url("/v3/reference/options/contracts?" + bad));
    EXPECT_EQ(b.status, 400) << bad;
    EXPECT_EQ(str(Json(b.body).root, "status"), "ERROR");
  }
}

TEST_F(ReferenceTest, ContractPaginationWithSmallPagesKeepsFilters) {
  int pages = 0;
  auto paged = fetch_all("/v3/reference/options/contracts?as_of=2025-01-17&contract_type=call&limit=37", "ticker",
                         &pages);
  auto whole = fetch_all("/v3/reference/options/contracts?as_of=2025-01-17&contract_type=call&limit=1000", "ticker");
  EXPECT_EQ(paged, whole);
  EXPECT_GT(pages, 10);
  for (const auto& t : paged) EXPECT_NE(t.find("C"), std::string::npos);
}

TEST_F(ReferenceTest, NewsHasTheContractShape) {
  auto r = http_get(url("/v2/reference/news?limit=20"));
  ASSERT_EQ(r.status, 200);
  Json doc(r.body);
  EXPECT_EQ(str(doc.root, "status"), "OK");
  EXPECT_EQ(int_of(doc.root, "count"), 20);
  std::int64_t previous = std::numeric_limits<std::int64_t>::max();
  for (auto e : doc["results"].get_array()) {
    EXPECT_TRUE(std::regex_match(str(e, "id"), std::regex("[0-9a-f]{64}")));
    auto publisher = e["publisher"].value();
    for (const char* k : {"name", "homepage_url", "logo_url", "favicon_url"}) EXPECT_FALSE(str(publisher, k).empty());
    for (const char* k : {"title", "author", "article_url", "image_url", "description"}) EXPECT_FALSE(str(e, k).empty());
    const std::string published = str(e, "published_utc");
    EXPECT_TRUE(std::regex_match(published, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"))) << published;
    const auto ms = parse_rfc3339_ms(published).value();
    EXPECT_LE(ms, previous);  // newest first by default
    EXPECT_LE(ms, pinned_now_ms());
    previous = ms;
    auto tickers = e["tickers"].get_array().value();
    EXPECT_EQ(std::string(tickers.at(0).get_string().value()), "SPY");
    EXPECT_GE(e["keywords"].get_array().value().size(), 2u);
    auto insights = e["insights"].get_array().value();
    EXPECT_EQ(insights.size(), tickers.size());
    for (auto i : insights) {
      const std::string s = str(i, "sentiment");
      EXPECT_TRUE(s == "positive" || s == "neutral" || s == "negative") << s;
      EXPECT_FALSE(str(i, "sentiment_reasoning").empty());
    }
  }
}

TEST_F(ReferenceTest, NewsPerDayCountsAndSessionTiming) {
  const Date d = *parse_date("2025-01-15");
  auto ids = fetch_all("/v2/reference/news?published_utc.gte=2025-01-10&published_utc.lt=2025-01-25&limit=1000&order=asc",
                       "published_utc");
  std::map<std::string, int> per_day;
  int in_session = 0, on_trading_days = 0;
  for (const auto& p : ids) {
    const auto ms = parse_rfc3339_ms(p).value();
    per_day[format_date(ny_date_of_utc_ms(ms))]++;
    if (ny_date_of_utc_ms(ms) == d || ny_date_of_utc_ms(ms) == add_days(d, 1)) {
      ++on_trading_days;
      const int minute = ny_minutes_of_day(ms);
      if (minute >= 9 * 60 + 30 && minute < 16 * 60) ++in_session;
    }
  }
  for (const auto& [day, n] : per_day) {
    if (day == "2025-01-09" || day == "2025-01-25") continue;  // partial New York days at the UTC edges
    EXPECT_GE(n, 4) << day;
    EXPECT_LE(n, 12) << day;
  }
  EXPECT_GT(in_session * 2, on_trading_days);
}

TEST_F(ReferenceTest, NewsPaginationServesEveryArticleOnceInBothOrders) {
  const std::string filter = "published_utc.gte=2025-01-01&published_utc.lte=2025-01-31";
  int pages = 0;
  auto desc = fetch_all("/v2/reference/news?" + filter + "&limit=7", "id", &pages);
  auto asc = fetch_all("/v2/reference/news?" + filter + "&limit=1000&order=asc", "id");
  std::set<std::string> unique(desc.begin(), desc.end());
  EXPECT_EQ(unique.size(), desc.size());
  ASSERT_EQ(desc.size(), asc.size());
  EXPECT_GT(desc.size(), 31u * 4 - 8);
  EXPECT_EQ(pages, static_cast<int>((desc.size() + 6) / 7));
  std::reverse(asc.begin(), asc.end());
  EXPECT_EQ(asc, desc);
}

TEST_F(ReferenceTest, NewsFilters) {
  auto qqq = fetch_all("/v2/reference/news?ticker=QQQ&published_utc.gte=2025-01-01&limit=1000", "id");
  auto all = fetch_all("/v2/reference/news?published_utc.gte=2025-01-01&limit=1000", "id");
  ASSERT_FALSE(qqq.empty());
  EXPECT_LT(qqq.size(), all.size());
  auto r = http_get(url("/v2/reference/news?ticker=QQQ&published_utc.gte=2025-01-01&limit=1000"));
  const Json qqq_doc(r.body);
  for (auto e : qqq_doc["results"].get_array()) {
    bool found = false;
    for (auto t : e["tickers"].get_array()) found = found || t.get_string().value() == "QQQ";
    EXPECT_TRUE(found);
  }
  auto day = http_get(url("/v2/reference/news?published_utc=2025-01-14&limit=1000"));
  const Json day_doc(day.body);
  for (auto e : day_doc["results"].get_array())
    EXPECT_EQ(str(e, "published_utc").substr(0, 10), "2025-01-14");
  auto exact = http_get(url("/v2/reference/news?published_utc.gt=2025-01-14T15:00:00Z&published_utc.lte=2025-01-14T"
                            "16:00:00-05:00&limit=1000&order=asc"));
  const Json exact_doc(exact.body);
  ASSERT_GT(exact_doc["results"].get_array().value().size(), 0u);
  for (auto e : exact_doc["results"].get_array()) {
    const auto ms = parse_rfc3339_ms(str(e, "published_utc")).value();
    EXPECT_GT(ms, parse_rfc3339_ms("2025-01-14T15:00:00Z").value());
    EXPECT_LE(ms, parse_rfc3339_ms("2025-01-14T21:00:00Z").value());
  }
  for (const std::string bad : {"published_utc.gte=yesterday", "order=sideways", "sort=title", "limit=-3"})
    EXPECT_EQ(http_get(url("/v2/reference/news?" + bad)).status, 400) << bad;
}

TEST_F(ReferenceTest, NewsSentimentLeansWithTheMarket) {
  // Over many days, positive SPY insights should be likelier on up days.
  auto spy = http_get(url("/v2/aggs/ticker/SPY/range/1/day/2024-06-01/2025-01-31?limit=50000"));
  std::map<std::string, double> move;
  const Json spy_doc(spy.body);
  for (auto e : spy_doc["results"].get_array())
    move[format_date(ny_date_of_utc_ms(int_of(e, "t")))] = num(e, "c") - num(e, "o");
  ASSERT_GT(move.size(), 100u);
  int up_pos = 0, up_total = 0, down_pos = 0, down_total = 0;
  std::string path = "/v2/reference/news?published_utc.gte=2024-06-01&published_utc.lt=2025-02-01&limit=1000";
  while (!path.empty()) {
    Json doc(http_get(url(path)).body);
    for (auto e : doc["results"].get_array()) {
      const auto ms = parse_rfc3339_ms(str(e, "published_utc")).value();
      auto it = move.find(format_date(ny_date_of_utc_ms(ms)));
      if (it == move.end()) continue;
      const bool positive = str(e["insights"].at(0).value(), "sentiment") == "positive";
      (it->second > 0 ? up_total : down_total)++;
      (it->second > 0 ? up_pos : down_pos) += positive;
    }
    path = doc.has("next_url") ? path_of(str(doc.root, "next_url")) : "";
  }
  ASSERT_GT(up_total, 50);
  ASSERT_GT(down_total, 50);
  EXPECT_GT(static_cast<double>(up_pos) / up_total, static_cast<double>(down_pos) / down_total + 0.15);
}

}  // namespace
}  // namespace soi::sim::test
