// The simulator's news endpoint as the news backfill uses it: RFC 3339 bounds
// at New York midnights, ascending order across pages, the ticker filter with
// articles tagged with several tickers, and the bad_record fault.
#include <algorithm>
#include <set>

#include "simulator_test_support.hpp"

namespace soi::sim::test {
namespace {

struct Article {
  std::string id;
  std::int64_t published_ms = 0;
  std::vector<std::string> tickers;
};

class SimulatorNewsTest : public ServerTest {
 protected:
  std::vector<Article> fetch_all(const std::string& first, int* pages = nullptr) {
    std::vector<Article> out;
    std::string path = first;
    int count = 0;
    while (!path.empty() && count < 2000) {
      auto r = http_get(url(path));
      EXPECT_EQ(r.status, 200) << r.body.substr(0, 300);
      if (r.status != 200) break;
      Json doc(r.body);
      for (auto e : doc["results"].get_array()) {
        Article a{str(e, "id"), parse_rfc3339_ms(str(e, "published_utc")).value_or(-1), {}};
        for (auto t : e["tickers"].get_array()) a.tickers.emplace_back(t.get_string().value());
        out.push_back(std::move(a));
      }
      path = doc.has("next_url") ? path_of(str(doc.root, "next_url")) : "";
      ++count;
    }
    if (pages) *pages = count;
    return out;
  }
};

TEST_F(SimulatorNewsTest, Rfc3339BoundsAtNewYorkMidnightsAscendingAcrossPages) {
  // [2025-01-18 00:00 NY, 2025-01-20 00:00 NY): a weekend.
  const std::string from = "2025-01-18T05:00:00Z", to = "2025-01-20T05:00:00Z";
  int pages = 0;
  auto small = fetch_all("/v2/reference/news?ticker=SPY&published_utc.gte=" + from + "&published_utc.lt=" + to +
                             "&order=asc&sort=published_utc&limit=3",
                         &pages);
  auto whole = fetch_all("/v2/reference/news?ticker=SPY&published_utc.gte=" + from + "&published_utc.lt=" + to +
                         "&order=asc&sort=published_utc&limit=1000");
  ASSERT_GE(whole.size(), 8u);  // 4-12 a day, weekends too
  EXPECT_EQ(pages, static_cast<int>((whole.size() + 2) / 3));
  ASSERT_EQ(small.size(), whole.size());
  std::set<Date> dates;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    EXPECT_EQ(small[i].id, whole[i].id);
    EXPECT_GE(whole[i].published_ms, *parse_rfc3339_ms(from));
    EXPECT_LT(whole[i].published_ms, *parse_rfc3339_ms(to));
    if (i) {
      EXPECT_LE(whole[i - 1].published_ms, whole[i].published_ms);
    }
    dates.insert(ny_date_of_utc_ms(whole[i].published_ms));
  }
  EXPECT_EQ(dates.size(), 2u);
  // An exclusive upper bound a second after an article's publication includes it; at it, excludes it.
  const auto& last = whole.back();
  auto at = fetch_all("/v2/reference/news?published_utc.gte=" + from +
                      "&published_utc.lt=" + format_utc_iso_ms(last.published_ms) + "&order=asc&limit=1000");
  EXPECT_TRUE(std::none_of(at.begin(), at.end(), [&](const Article& a) { return a.id == last.id; }));
}

TEST_F(SimulatorNewsTest, ArticlesAreTaggedWithSeveralTickersAndTheTickerFilterFindsThem) {
  const std::string range = "published_utc.gte=2025-01-06&published_utc.lt=2025-01-18&order=asc&limit=1000";
  auto spy = fetch_all("/v2/reference/news?ticker=SPY&" + range);
  std::set<std::string> spy_ids;
  std::set<std::string> others;
  for (const auto& a : spy) {
    spy_ids.insert(a.id);
    for (const auto& t : a.tickers)
      if (t != "SPY") others.insert(t);
  }
  ASSERT_FALSE(others.empty());
  const std::string other = *others.begin();
  auto tagged = fetch_all("/v2/reference/news?ticker=" + other + "&" + range);
  ASSERT_FALSE(tagged.empty());
  for (const auto& a : tagged) {
    EXPECT_NE(std::find(a.tickers.begin(), a.tickers.end(), other), a.tickers.end());
    EXPECT_TRUE(spy_ids.count(a.id)) << "the same article is served for both tickers";
  }
}

TEST(SimulatorNewsFaultTest, BadRecordCorruptsOneArticlePerPage) {
  auto options = test_options();
  options.config.faults = {"bad_record:path=/v2/reference/news"};
  auto server = start_server(options);
  auto r = http_get(server->base_url() +
                    "/v2/reference/news?published_utc.gte=2025-01-06&published_utc.lt=2025-01-10&order=asc&limit=5");
  ASSERT_EQ(r.status, 200);
  Json doc(r.body);
  ASSERT_TRUE(doc.ok);
  int bad = 0, total = 0;
  for (auto e : doc["results"].get_array()) {
    ++total;
    bad += !parse_rfc3339_ms(str(e, "published_utc")).has_value();
  }
  EXPECT_EQ(total, 5);
  EXPECT_EQ(bad, 1);
  // The cursor still pages on: the next page is served (and corrupted) as well.
  ASSERT_TRUE(doc.has("next_url"));
  auto next = http_get(server->base_url() + path_of(str(doc.root, "next_url")));
  EXPECT_EQ(next.status, 200);
  server->stop();
}

}  // namespace
}  // namespace soi::sim::test
