#include "data_sources/news_parser.hpp"

#include <gtest/gtest.h>

#include "utils/error.hpp"

namespace soi {
namespace {

std::string padded(std::string s) {
  s.reserve(s.size() + simdjson::SIMDJSON_PADDING);
  return s;
}

NewsPage parse(const std::string& json) {
  NewsParser parser;
  NewsPage page;
  std::string body = padded(json);
  parser.parse(body, page);
  return page;
}

bool has_drift(const NewsPage& page, std::string_view field, DriftKind kind) {
  for (const auto& d : page.drift)
    if (d.field == field && d.kind == kind) return true;
  return false;
}

const char* kContractExample = R"({"results":[{"id":"0c1d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d",
  "publisher":{"name":"Benzinga","homepage_url":"https://www.benzinga.com/",
    "logo_url":"https://s3.massive.com/public/assets/news/logos/benzinga.svg",
    "favicon_url":"https://s3.massive.com/public/assets/news/favicons/benzinga.ico"},
  "title":"SPY slips as volatility jumps ahead of CPI","author":"Staff Writer",
  "published_utc":"2025-01-14T13:05:00Z","article_url":"https://www.benzinga.com/markets/...",
  "tickers":["SPY"],"image_url":"https://cdn.benzinga.com/files/...jpeg",
  "description":"Equities softened while implied volatility rose.","keywords":["inflation","volatility"],
  "insights":[{"ticker":"SPY","sentiment":"negative","sentiment_reasoning":"Index ETF fell on rate worries."}]}],
 "status":"OK","request_id":"831afdb0b8078549fed053476984947a","count":1,
 "next_url":"https://api.massive.com/v2/reference/news?cursor=eyJsaW1pdCI6MSwic29ydCI6..."})";

TEST(NewsParserTest, ParsesContractExample) {
  auto page = parse(kContractExample);
  ASSERT_EQ(page.articles.size(), 1u);
  EXPECT_EQ(page.status, "OK");
  EXPECT_EQ(page.request_id, "831afdb0b8078549fed053476984947a");
  EXPECT_EQ(page.next_url, "https://api.massive.com/v2/reference/news?cursor=eyJsaW1pdCI6MSwic29ydCI6...");
  EXPECT_EQ(page.results_seen, 1u);
  const NewsArticle& a = page.articles[0];
  EXPECT_EQ(a.id, "0c1d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d");
  EXPECT_EQ(a.published_ms, *parse_rfc3339_ms("2025-01-14T13:05:00Z"));
  EXPECT_EQ(a.title, "SPY slips as volatility jumps ahead of CPI");
  EXPECT_EQ(a.author, "Staff Writer");
  EXPECT_EQ(a.description, "Equities softened while implied volatility rose.");
  EXPECT_EQ(a.article_url, "https://www.benzinga.com/markets/...");
  EXPECT_EQ(a.publisher, "Benzinga");
  EXPECT_EQ(a.tickers, std::vector<std::string>{"SPY"});
  EXPECT_EQ(a.keywords, (std::vector<std::string>{"inflation", "volatility"}));
  ASSERT_EQ(a.insights.size(), 1u);
  EXPECT_EQ(a.insights[0].ticker, "SPY");
  EXPECT_EQ(a.insights[0].sentiment, "negative");
  EXPECT_EQ(a.insights[0].reasoning, "Index ETF fell on rate worries.");
  EXPECT_TRUE(page.rejects.empty());
  EXPECT_TRUE(page.drift.empty());
}

TEST(NewsParserTest, OptionalFieldsMayBeAbsentOrNull) {
  auto page = parse(R"({"results":[
   {"id":"a","publisher":{"name":"P"},"title":"T","published_utc":"2025-01-14T13:05:00.250Z","article_url":"u","tickers":["SPY","QQQ"]},
   {"id":"b","publisher":{"name":"P"},"title":"T","published_utc":"2025-01-14T08:05:00-05:00","article_url":"u","tickers":[],
    "author":null,"description":null,"keywords":null,"insights":null,"amp_url":"x"}],
   "status":"OK","request_id":"r","count":2})");
  ASSERT_EQ(page.articles.size(), 2u);
  EXPECT_TRUE(page.rejects.empty());
  EXPECT_TRUE(page.drift.empty());
  EXPECT_TRUE(page.next_url.empty());
  EXPECT_EQ(page.articles[0].published_ms, *parse_rfc3339_ms("2025-01-14T13:05:00Z") + 250);
  EXPECT_EQ(page.articles[1].published_ms, *parse_rfc3339_ms("2025-01-14T13:05:00Z"));
  EXPECT_EQ(page.articles[0].author, "");
  EXPECT_EQ(page.articles[0].description, "");
  EXPECT_TRUE(page.articles[0].keywords.empty());
  EXPECT_TRUE(page.articles[1].insights.empty());
  EXPECT_EQ(page.articles[0].tickers.size(), 2u);
}

TEST(NewsParserTest, MissingIdOrBadTimestampIsRejectedWithRawJson) {
  auto page = parse(R"({"results":[
   {"title":"no id","published_utc":"2025-01-14T13:05:00Z","tickers":["SPY"]},
   {"id":"x1","title":"bad time","published_utc":"2025-13-45T99:99:99Z"},
   {"id":"x2","title":"no time"},
   {"id":7,"title":"numeric id","published_utc":"2025-01-14T13:05:00Z"},
   {"id":"x3","title":"numeric time","published_utc":1736859900000},
   "not an object",
   {"id":"ok","title":"fine","published_utc":"2025-01-14T13:05:00Z","publisher":{"name":"P"},"article_url":"u","tickers":["SPY"]}],
   "status":"OK","request_id":"r","count":7})");
  ASSERT_EQ(page.articles.size(), 1u);
  EXPECT_EQ(page.articles[0].id, "ok");
  EXPECT_EQ(page.results_seen, 7u);
  ASSERT_EQ(page.rejects.size(), 6u);
  EXPECT_EQ(page.rejects[0].reason, "missing_id: article has no id");
  EXPECT_EQ(page.rejects[0].raw_json, R"({"title":"no id","published_utc":"2025-01-14T13:05:00Z","tickers":["SPY"]})");
  EXPECT_EQ(page.rejects[0].published_ms, *parse_rfc3339_ms("2025-01-14T13:05:00Z"));
  EXPECT_NE(page.rejects[1].reason.find("invalid_published_utc"), std::string::npos);
  EXPECT_EQ(page.rejects[1].raw_json, R"({"id":"x1","title":"bad time","published_utc":"2025-13-45T99:99:99Z"})");
  EXPECT_EQ(page.rejects[1].published_ms, 0);
  EXPECT_EQ(page.rejects[2].reason, "invalid_published_utc: missing");
  EXPECT_EQ(page.rejects[3].reason, "missing_id: id is not a string");
  EXPECT_EQ(page.rejects[4].reason, "invalid_published_utc: not a string");
  EXPECT_NE(page.rejects[5].reason.find("not_an_object"), std::string::npos);
  EXPECT_TRUE(has_drift(page, "results[].id", DriftKind::type_changed));
  EXPECT_TRUE(has_drift(page, "results[].published_utc", DriftKind::type_changed));
}

TEST(NewsParserTest, DriftForUnknownMissingAndChangedFields) {
  auto page = parse(R"({"results":[
   {"id":"a","published_utc":"2025-01-14T13:05:00Z","zz_new":{"x":[1,2]},"keywords":"inflation",
    "publisher":{"name":"P","zz_pub":1},"tickers":["SPY",5],
    "insights":[{"ticker":"SPY","sentiment":"positive","sentiment_reasoning":"r","zz_ins":true},{"sentiment":"neutral"},3]},
   {"id":"b","published_utc":"2025-01-14T13:06:00Z","zz_new":2,"title":"T","article_url":"u","publisher":{"name":"P"},"tickers":["SPY"]}],
   "status":"OK","request_id":"r","count":2,"zz_envelope":"x"})");
  ASSERT_EQ(page.articles.size(), 2u);
  EXPECT_TRUE(page.rejects.empty());
  EXPECT_TRUE(has_drift(page, "envelope.zz_envelope", DriftKind::unknown_field));
  EXPECT_TRUE(has_drift(page, "results[].zz_new", DriftKind::unknown_field));
  EXPECT_TRUE(has_drift(page, "results[].publisher.zz_pub", DriftKind::unknown_field));
  EXPECT_TRUE(has_drift(page, "results[].insights[].zz_ins", DriftKind::unknown_field));
  EXPECT_TRUE(has_drift(page, "results[].insights[].ticker", DriftKind::missing_optional_field));
  EXPECT_TRUE(has_drift(page, "results[].insights[]", DriftKind::type_changed));
  EXPECT_TRUE(has_drift(page, "results[].keywords", DriftKind::type_changed));
  EXPECT_TRUE(has_drift(page, "results[].tickers[]", DriftKind::type_changed));
  EXPECT_TRUE(has_drift(page, "results[].title", DriftKind::missing_optional_field));
  EXPECT_TRUE(has_drift(page, "results[].article_url", DriftKind::missing_optional_field));
  // Distinct per page: zz_new is reported once.
  int zz = 0;
  for (const auto& d : page.drift) zz += d.field == "results[].zz_new";
  EXPECT_EQ(zz, 1);
  const NewsArticle& a = page.articles[0];
  EXPECT_EQ(a.tickers, std::vector<std::string>{"SPY"});
  EXPECT_TRUE(a.keywords.empty());
  ASSERT_EQ(a.insights.size(), 1u);
  EXPECT_EQ(a.insights[0].sentiment, "positive");
}

TEST(NewsParserTest, EscapedStringsAreUnescaped) {
  auto page = parse(R"({"results":[{"id":"e","published_utc":"2025-01-14T13:05:00Z","title":"S&P \"500\" \u00e9\nline",
   "publisher":{"name":"P"},"article_url":"u","tickers":["SPY"]}],"status":"OK","request_id":"r","count":1})");
  ASSERT_EQ(page.articles.size(), 1u);
  EXPECT_EQ(page.articles[0].title, "S&P \"500\" \xc3\xa9\nline");
}

TEST(NewsParserTest, EnvelopeErrors) {
  EXPECT_THROW(parse("<html>proxy hiccup</html>"), SoiError);
  EXPECT_THROW(parse(R"({"results":[{"id":"a","published_utc":"2025-01-14T13:05:00Z"},{"id":)"), SoiError);
  try {
    parse(R"({"status":"ERROR","request_id":"r","error":"bad"})");
    FAIL();
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::server);
  }
  try {
    parse("not json at all");
    FAIL();
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::parse);
  }
  auto empty = parse(R"({"results":[],"status":"OK","request_id":"r","count":0})");
  EXPECT_TRUE(empty.articles.empty());
  auto no_results = parse(R"({"status":"OK","request_id":"r","count":0})");
  EXPECT_TRUE(no_results.articles.empty());
}

TEST(NewsParserTest, ParserIsReusable) {
  NewsParser parser;
  NewsPage page;
  for (int i = 0; i < 3; ++i) {
    page.clear();
    std::string body = padded(kContractExample);
    parser.parse(body, page);
    ASSERT_EQ(page.articles.size(), 1u);
    EXPECT_EQ(page.articles[0].publisher, "Benzinga");
  }
}

}  // namespace
}  // namespace soi
