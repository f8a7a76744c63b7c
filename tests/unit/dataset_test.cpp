#include "processing/dataset.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace soi {
namespace {

const Date kDay = *parse_date("2025-01-17");

// Records every value as "kind:value" and counts each row's top-level values.
class RecordingWriter : public RowWriter {
 public:
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  int depth = 0;
  std::size_t list_elements = 0;

  void int64(std::int64_t v) override { add("i:" + std::to_string(v)); }
  void float64(double v) override { add("f:" + std::to_string(v)); }
  void text(std::string_view v) override { add("t:" + std::string(v)); }
  void timestamp_ms(std::int64_t v) override { add("ts:" + std::to_string(v)); }
  void date(Date d) override { add("d:" + format_date(d)); }
  void null() override { add("null"); }
  void begin_list(std::size_t n) override {
    EXPECT_EQ(depth, 0) << "lists do not nest";
    ++depth;
    list_elements = n;
    row.push_back("list:" + std::to_string(n));
  }
  void end_list() override { --depth; }
  void end_row() override {
    EXPECT_EQ(depth, 0);
    rows.push_back(std::move(row));
    row.clear();
  }

 private:
  void add(std::string v) {
    if (depth == 0) row.push_back(std::move(v));
    else row.back() += "|" + v;
  }
};

Bar bar(std::int64_t ts, std::uint8_t fields = kBarFullFields) {
  Bar b;
  b.ts_ms = ts;
  b.open = b.high = b.low = b.close = 1.5;
  b.volume = 10;
  b.vwap = 1.5;
  b.transactions = 3;
  b.fields = fields;
  return b;
}

struct Sample {
  std::vector<BarDay> bars;
  std::vector<BarDay> option_bars;
  OptionsUniverse universe;
  std::vector<NewsArticle> news;
  std::vector<std::string> tickers = {"SPY", "spy", "BRK.B"};  // "spy" maps to the same column as "SPY"

  Sample() {
    bars.push_back({"spy", "SPY", kDay, Origin::rest, {bar(2000), bar(3000)}, std::nullopt});
    bars.push_back({"spy", "I:VIX", kDay, Origin::ws, {bar(1000, 0)}, std::nullopt});
    OptionContract c{"O:SPY250117C00590000", "SPY", ContractType::call, 590, kDay, "american", 100};
    option_bars.push_back({"options", c.ticker, kDay, Origin::rest, {bar(1000)}, c});
    option_bars.push_back({"options", "O:SPY250117P00590000", kDay, Origin::rest, {bar(1000)}, std::nullopt});
    universe.date = kDay;
    universe.underlying = "SPY";
    universe.open = 590;
    universe.contracts = {c};
    NewsArticle a;
    a.id = "n1";
    a.published_ms = 5;
    a.title = "t";
    a.article_url = "u";
    a.tickers = {"SPY", "QQQ"};
    a.insights = {{"spy", "positive", "r1"}, {"QQQ", "negative", "r2"}};
    news.push_back(a);
  }

  Partition of(const Dataset& d) const {
    Partition p;
    p.dataset = &d;
    p.date = kDay;
    if (&d == &bars_dataset()) p.bars = bars;
    if (&d == &option_bars_dataset()) p.bars = option_bars;
    if (&d == &options_contracts_dataset()) p.universe = &universe;
    if (&d == &news_dataset()) {
      p.articles = news;
      p.sentiment_tickers = tickers;
    }
    return p;
  }
};

std::size_t count_roles(const std::vector<Column>& columns, std::uint8_t roles) {
  return static_cast<std::size_t>(
      std::count_if(columns.begin(), columns.end(), [&](const Column& c) { return (c.role & roles) != 0; }));
}

TEST(DatasetTest, EveryDatasetDescribesConsistentColumns) {
  Sample s;
  for (const Dataset* d : all_datasets()) {
    SCOPED_TRACE(std::string(d->name()));
    const Partition p = s.of(*d);
    const std::vector<Column> columns = d->columns(p);
    std::set<std::string> names;
    for (const Column& c : columns) EXPECT_TRUE(names.insert(c.name).second) << "duplicate column " << c.name;
    for (const std::string& k : d->key()) EXPECT_TRUE(names.count(k)) << "key column " << k;
    for (const std::string& k : d->sort_order()) EXPECT_TRUE(names.count(k)) << "sort column " << k;
    EXPECT_EQ(count_roles(columns, kRoleDate), 1u) << "one partition date column";
    EXPECT_EQ(columns.front().name, "date");
    for (const Column& c : columns) {
      if (c.type == LogicalType::struct_list) {
        EXPECT_FALSE(c.struct_fields.empty()) << c.name;
      }
    }
  }
}

// The drift test: every cursor writes exactly the columns its dataset lists, for
// every combination of roles a backend asks for, and the constants line up too.
TEST(DatasetTest, CursorsWriteOneValuePerColumnOfTheRequestedRoles) {
  Sample s;
  for (const Dataset* d : all_datasets()) {
    SCOPED_TRACE(std::string(d->name()));
    const Partition p = s.of(*d);
    const std::vector<Column> columns = d->columns(p);
    for (std::uint8_t roles : {std::uint8_t(kAllRoles), std::uint8_t(kRoleRow), std::uint8_t(kRoleRow | kRoleConstant)}) {
      RecordingWriter w;
      const auto cursor = d->rows(p, WriteStamp{"run-1", 42}, roles);
      while (cursor->write_next(w)) {
      }
      EXPECT_FALSE(cursor->write_next(w)) << "an exhausted cursor stays exhausted";
      ASSERT_EQ(w.rows.size(), d->row_count(p));
      ASSERT_GT(w.rows.size(), 0u);
      for (const auto& row : w.rows) EXPECT_EQ(row.size(), count_roles(columns, roles));
      EXPECT_EQ(d->column_names(p, roles).size(), count_roles(columns, roles));
    }
    RecordingWriter constants;
    d->write_constants(p, WriteStamp{"run-1", 42}, constants);
    EXPECT_EQ(constants.row.size(), count_roles(columns, kRoleConstant));
  }
}

TEST(DatasetTest, BarRowsComeOutByTickerWithNullsForFieldsTheWireLacked) {
  Sample s;
  const Partition p = s.of(bars_dataset());
  RecordingWriter w;
  const auto cursor = bars_dataset().rows(p, WriteStamp{"run-1", 42});
  while (cursor->write_next(w)) {
  }
  ASSERT_EQ(w.rows.size(), 3u);
  const std::vector<std::string> names = bars_dataset().column_names(p);
  const auto at = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) - names.begin(); };
  EXPECT_EQ(w.rows[0][at("ticker")], "t:I:VIX");  // sorted by ticker, not input order
  EXPECT_EQ(w.rows[0][at("volume")], "null");
  EXPECT_EQ(w.rows[0][at("transactions")], "null");
  EXPECT_EQ(w.rows[0][at("origin")], "t:ws");
  EXPECT_EQ(w.rows[1][at("ticker")], "t:SPY");
  EXPECT_EQ(w.rows[1][at("ts")], "ts:2000");
  EXPECT_EQ(w.rows[1][at("transactions")], "i:3");
  EXPECT_EQ(w.rows[1][at("run_id")], "t:run-1");
  EXPECT_EQ(w.rows[1][at("ingested_at")], "ts:42");
  EXPECT_EQ(w.rows[1][at("date")], "d:2025-01-17");
  EXPECT_TRUE(bars_dataset().emits_sorted(p));
}

TEST(DatasetTest, OptionBarsCarryTheContractOrNulls) {
  Sample s;
  const Partition p = s.of(option_bars_dataset());
  RecordingWriter w;
  const auto cursor = option_bars_dataset().rows(p, WriteStamp{"r", 1}, kRoleRow);
  while (cursor->write_next(w)) {
  }
  ASSERT_EQ(w.rows.size(), 2u);
  const std::vector<std::string> names = option_bars_dataset().column_names(p, kRoleRow);
  ASSERT_EQ(names.back(), "expiration");
  EXPECT_EQ(w.rows[0].back(), "d:2025-01-17");
  EXPECT_EQ(w.rows[0][names.size() - 4], "t:SPY");
  EXPECT_EQ(w.rows[1].back(), "null");  // a contract the partition does not describe
}

TEST(DatasetTest, NewsHasOneSentimentColumnPerDistinctTickerBeforeTheStamp) {
  Sample s;
  const Partition p = s.of(news_dataset());
  const std::vector<std::string> names = news_dataset().column_names(p);
  const std::vector<std::string> tail(names.end() - 4, names.end());
  EXPECT_EQ(tail, (std::vector<std::string>{"sentiment_spy", "sentiment_brk_b", "ingested_at", "run_id"}));
  EXPECT_EQ(news_dataset().base_columns().size() + 2, names.size());
  EXPECT_TRUE(news_dataset().key_spans_days());

  RecordingWriter w;
  const auto cursor = news_dataset().rows(p, WriteStamp{"r", 1});
  ASSERT_TRUE(cursor->write_next(w));
  const auto at = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) - names.begin(); };
  EXPECT_EQ(w.rows[0][at("tickers")], "list:2|t:SPY|t:QQQ");
  EXPECT_EQ(w.rows[0][at("insights")], "list:2|t:spy|t:positive|t:r1|t:QQQ|t:negative|t:r2");
  EXPECT_EQ(w.rows[0][at("sentiment_spy")], "t:positive");  // matched case-insensitively
  EXPECT_EQ(w.rows[0][at("sentiment_brk_b")], "null");
  EXPECT_EQ(w.rows[0][at("description")], "null");  // absent text is NULL, not ""
}

TEST(DatasetTest, EmitsSortedOnlyWhenTheRecordsAreInSortOrder) {
  Sample s;
  std::vector<BarDay> overlapping = {s.bars[0], s.bars[0]};
  Partition p;
  p.bars = overlapping;
  EXPECT_FALSE(bars_dataset().emits_sorted(p));
  std::vector<BarDay> unsorted = {s.bars[0]};
  std::swap(unsorted[0].bars[0], unsorted[0].bars[1]);
  p.bars = unsorted;
  EXPECT_FALSE(bars_dataset().emits_sorted(p));

  std::vector<NewsArticle> news = {s.news[0], s.news[0]};
  news[0].published_ms = 9;
  Partition n;
  n.articles = news;
  EXPECT_FALSE(news_dataset().emits_sorted(n));
  std::swap(news[0], news[1]);
  EXPECT_TRUE(news_dataset().emits_sorted(n));
}

TEST(DatasetTest, SentimentColumnNames) {
  EXPECT_EQ(sentiment_column("SPY"), "sentiment_spy");
  EXPECT_EQ(sentiment_column("BRK.B"), "sentiment_brk_b");
  NewsArticle a;
  a.insights = {{"SPY", "", "no sentiment"}};
  EXPECT_FALSE(sentiment_for(a, "spy").has_value());
}

}  // namespace
}  // namespace soi
