#include "processing/news_filter.hpp"

#include <gtest/gtest.h>

namespace soi {
namespace {

Date day(const char* text) { return *parse_date(text); }

NewsArticle article(std::string id, const char* published, std::vector<std::string> tickers = {"SPY"},
                    std::string title = "title") {
  NewsArticle a;
  a.id = std::move(id);
  a.published_ms = *parse_rfc3339_ms(published);
  a.tickers = std::move(tickers);
  a.title = std::move(title);
  return a;
}

std::vector<std::string> ids(const std::vector<NewsArticle>& articles) {
  std::vector<std::string> out;
  for (const auto& a : articles) out.push_back(a.id);
  return out;
}

TEST(NewsRelevanceFilterTest, BothListsEmptyKeepsEverything) {
  NewsRelevanceFilter filter;
  EXPECT_TRUE(filter.keeps_all());
  EXPECT_TRUE(filter.keeps(article("a", "2025-01-14T13:05:00Z", {})));
  NewsSourceConfig config;
  EXPECT_TRUE(NewsRelevanceFilter(config).keeps_all());
}

TEST(NewsRelevanceFilterTest, TickerOrKeywordCaseInsensitive) {
  NewsRelevanceFilter tickers({"spy", "QQQ"}, {});
  EXPECT_TRUE(tickers.keeps(article("a", "2025-01-14T13:05:00Z", {"AAPL", "QQQ"})));
  EXPECT_TRUE(tickers.keeps(article("a", "2025-01-14T13:05:00Z", {"SPY"})));
  EXPECT_FALSE(tickers.keeps(article("a", "2025-01-14T13:05:00Z", {"AAPL"}, "SPY rallies")));

  NewsRelevanceFilter keywords({}, {"Fed", "s&p 500"});
  auto a = article("a", "2025-01-14T13:05:00Z", {"AAPL"}, "Apple earnings");
  EXPECT_FALSE(keywords.keeps(a));
  a.description = "Markets weigh the FEDERAL Reserve";
  EXPECT_TRUE(keywords.keeps(a));  // substring, case-insensitive
  a.description.clear();
  a.keywords = {"S&P 500"};
  EXPECT_TRUE(keywords.keeps(a));
  a.keywords.clear();
  a.title = "The s&P 500 ETF climbs";
  EXPECT_TRUE(keywords.keeps(a));

  NewsRelevanceFilter both({"SPY"}, {"inflation"});
  EXPECT_TRUE(both.keeps(article("a", "2025-01-14T13:05:00Z", {"SPY"}, "x")));
  EXPECT_TRUE(both.keeps(article("b", "2025-01-14T13:05:00Z", {"TLT"}, "Inflation cools")));
  EXPECT_FALSE(both.keeps(article("c", "2025-01-14T13:05:00Z", {"TLT"}, "Bonds rally")));
}

TEST(NewsDedupTest, LaterDuplicateWinsAndOrderIsByTimeThenId) {
  std::vector<NewsArticle> v{article("b", "2025-01-14T13:05:00Z"), article("a", "2025-01-14T13:05:00Z"),
                             article("c", "2025-01-14T12:00:00Z"), article("b", "2025-01-14T13:05:00Z", {"SPY"}, "fixed")};
  EXPECT_EQ(dedup_articles_keep_last(v), 1u);
  EXPECT_EQ(ids(v), (std::vector<std::string>{"c", "a", "b"}));
  EXPECT_EQ(v[2].title, "fixed");
}

TEST(NewsDayCollectorTest, GroupsByNewYorkDateNotUtcDate) {
  NewsDayCollector c(day("2025-01-14"), day("2025-01-15"));
  EXPECT_EQ(c.day_count(), 2u);
  // 2025-01-15 04:59:59Z is still 23:59:59 on the 14th in New York (EST, UTC-5).
  EXPECT_TRUE(c.add(article("late14", "2025-01-15T04:59:59Z")));
  // 05:00:00Z is midnight of the 15th in New York.
  EXPECT_TRUE(c.add(article("early15", "2025-01-15T05:00:00Z")));
  // 2025-01-14 03:00Z is the 13th in New York: outside the range.
  EXPECT_FALSE(c.add(article("on13", "2025-01-14T03:00:00Z")));
  // 2025-01-16 04:00Z is still the 15th in New York.
  EXPECT_TRUE(c.add(article("late15", "2025-01-16T04:00:00Z")));
  EXPECT_FALSE(c.add(article("on16", "2025-01-16T05:00:00Z")));
  EXPECT_EQ(c.outside(), 2u);
  EXPECT_EQ(ids(c.take(day("2025-01-14")).articles), std::vector<std::string>{"late14"});
  EXPECT_EQ(ids(c.take(day("2025-01-15")).articles), (std::vector<std::string>{"early15", "late15"}));
}

TEST(NewsDayCollectorTest, DaylightSavingTransitions) {
  // Spring forward: 2025-03-09, midnight NY is 05:00Z (EST), the next midnight 04:00Z (EDT).
  NewsDayCollector spring(day("2025-03-08"), day("2025-03-10"));
  spring.add(article("a", "2025-03-09T04:59:59Z"));  // 23:59:59 EST on the 8th
  spring.add(article("b", "2025-03-09T05:00:00Z"));  // 00:00 on the 9th
  spring.add(article("c", "2025-03-10T03:59:59Z"));  // 23:59:59 EDT on the 9th
  spring.add(article("d", "2025-03-10T04:00:00Z"));  // 00:00 EDT on the 10th
  EXPECT_EQ(ids(spring.take(day("2025-03-08")).articles), std::vector<std::string>{"a"});
  EXPECT_EQ(ids(spring.take(day("2025-03-09")).articles), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(ids(spring.take(day("2025-03-10")).articles), std::vector<std::string>{"d"});

  // Fall back: 2025-11-02, midnight NY is 04:00Z (EDT), the next midnight 05:00Z (EST): a 25-hour day.
  NewsDayCollector fall(day("2025-11-01"), day("2025-11-03"));
  fall.add(article("a", "2025-11-02T03:59:59Z"));
  fall.add(article("b", "2025-11-02T04:00:00Z"));
  fall.add(article("c", "2025-11-02T05:30:00Z"));  // 01:30 EDT
  fall.add(article("d", "2025-11-02T06:30:00Z"));  // 01:30 EST (the repeated hour)
  fall.add(article("e", "2025-11-03T04:59:59Z"));  // 23:59:59 EST on the 2nd
  fall.add(article("f", "2025-11-03T05:00:00Z"));
  EXPECT_EQ(ids(fall.take(day("2025-11-01")).articles), std::vector<std::string>{"a"});
  EXPECT_EQ(ids(fall.take(day("2025-11-02")).articles), (std::vector<std::string>{"b", "c", "d", "e"}));
  EXPECT_EQ(ids(fall.take(day("2025-11-03")).articles), std::vector<std::string>{"f"});
}

TEST(NewsDayCollectorTest, DuplicatesAcrossTickersKeepTheLaterCopy) {
  NewsDayCollector c(day("2025-01-14"), day("2025-01-14"));
  c.add(article("x", "2025-01-14T15:00:00Z", {"SPY", "QQQ"}, "first"));
  c.add(article("y", "2025-01-14T14:00:00Z"));
  c.add(article("x", "2025-01-14T15:00:00Z", {"SPY", "QQQ"}, "second"));
  EXPECT_EQ(c.size(), 2u);
  NewsDay d = c.take(day("2025-01-14"));
  EXPECT_EQ(d.duplicates, 1u);
  ASSERT_EQ(ids(d.articles), (std::vector<std::string>{"y", "x"}));
  EXPECT_EQ(d.articles[1].title, "second");
  EXPECT_EQ(c.size(), 0u);
}

TEST(NewsDayCollectorTest, CorrectionMovingAnArticleToAnotherDateLeavesOneCopy) {
  NewsDayCollector c(day("2025-01-14"), day("2025-01-15"));
  c.add(article("x", "2025-01-14T15:00:00Z", {"SPY"}, "old"));
  c.add(article("x", "2025-01-15T15:00:00Z", {"SPY"}, "new"));
  EXPECT_TRUE(c.take(day("2025-01-14")).articles.empty());
  auto d = c.take(day("2025-01-15"));
  ASSERT_EQ(d.articles.size(), 1u);
  EXPECT_EQ(d.articles[0].title, "new");
}

TEST(NewsDayCollectorTest, IrrelevantArticlesAreCountedAndTakenDatesAreClosed) {
  NewsDayCollector c(day("2025-01-14"), day("2025-01-15"), NewsRelevanceFilter({"SPY"}, {}));
  EXPECT_FALSE(c.add(article("a", "2025-01-14T15:00:00Z", {"AAPL"})));
  EXPECT_TRUE(c.add(article("b", "2025-01-14T15:00:00Z", {"SPY"})));
  NewsDay d = c.take(day("2025-01-14"));
  EXPECT_EQ(d.irrelevant, 1u);
  EXPECT_EQ(ids(d.articles), std::vector<std::string>{"b"});
  EXPECT_FALSE(c.add(article("c", "2025-01-14T16:00:00Z", {"SPY"})));  // date already taken
  EXPECT_EQ(c.outside(), 1u);
  EXPECT_TRUE(c.take(day("2025-01-15")).articles.empty());
}

}  // namespace
}  // namespace soi
