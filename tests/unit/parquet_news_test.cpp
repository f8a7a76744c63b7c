// ParquetSink::write(NewsPartition): schema, NULLs, lists and structs, sentiment
// columns, ordering, replacement of the day and the empty partition.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "sinks/duckdb/duckdb_session.hpp"
#include "sinks/parquet/parquet_sink.hpp"
#include "sinks/store/local_store.hpp"

namespace soi {
namespace {
namespace fs = std::filesystem;

const Date kDay = *parse_date("2025-01-14");

class ParquetNewsTest : public ::testing::Test {
 protected:
  static fs::path test_dir() {
    return fs::temp_directory_path() / ("soi_parquet_news_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void SetUp() override {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    reader_.execute("SET TimeZone = 'UTC'");
  }
  void TearDown() override { fs::remove_all(dir_); }

  static NewsArticle article(std::string id, const char* published) {
    NewsArticle a;
    a.id = std::move(id);
    a.published_ms = *parse_rfc3339_ms(published);
    a.title = "SPY \"slips\" as volatility jumps";
    a.article_url = "https://www.benzinga.com/markets/x";
    a.publisher = "Benzinga";
    a.tickers = {"SPY", "BRK.B"};
    a.keywords = {"inflation", "vol\"atility"};
    a.insights = {{"SPY", "negative", "Index ETF fell."}, {"BRK.B", "positive", "Insurer rose."}};
    a.author = "Staff Writer";
    a.description = "Equities softened.";
    return a;
  }

  std::string file() const { return DuckDbSession::quote(sink_.location("news", kDay)); }
  std::vector<std::vector<std::optional<std::string>>> query(const std::string& select) const {
    return reader_.query(select + " FROM read_parquet(" + file() + ", hive_partitioning = false)");
  }

  fs::path dir_ = test_dir();
  DuckDbSession reader_;
  ParquetSink sink_{std::make_shared<LocalStore>(dir_), ParquetSinkConfig{}};
  RunInfo run_{"20250117T101502Z-3f9a", 0};
  std::vector<std::string> sentiment_tickers_{"SPY", "BRK.B", "QQQ"};
};

TEST_F(ParquetNewsTest, RoundTripSchemaAndValues) {
  std::vector<NewsArticle> articles{article("b", "2025-01-14T15:00:00Z"), article("a", "2025-01-14T15:00:00Z"),
                                    article("c", "2025-01-14T13:05:00.250Z")};
  articles[2].author.clear();
  articles[2].description.clear();
  articles[2].keywords.clear();
  articles[2].insights.clear();
  articles[2].tickers = {"SPY"};
  articles[1].title = "Caf\xc3\xa9 \\ news\nline";
  const auto result = sink_.write(NewsPartition{kDay, articles, sentiment_tickers_}, run_);
  EXPECT_EQ(result.sink, "parquet");
  EXPECT_EQ(result.feed, "news");
  EXPECT_EQ(result.date, "2025-01-14");
  EXPECT_EQ(result.rows, 3u);
  EXPECT_EQ(result.location, sink_.location("news", kDay));
  EXPECT_EQ(result.sha256.size(), 64u);
  EXPECT_TRUE(fs::exists(dir_ / "raw" / "news" / "date=2025-01-14" / "data.parquet"));

  auto schema = reader_.query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(" + file() +
                              ", hive_partitioning = false))");
  std::vector<std::pair<std::string, std::string>> columns;
  for (const auto& row : schema) columns.emplace_back(*row[0], *row[1]);
  const std::vector<std::pair<std::string, std::string>> expected{
      {"id", "VARCHAR"},
      {"published_utc", "TIMESTAMP WITH TIME ZONE"},
      {"title", "VARCHAR"},
      {"description", "VARCHAR"},
      {"author", "VARCHAR"},
      {"article_url", "VARCHAR"},
      {"publisher", "VARCHAR"},
      {"tickers", "VARCHAR[]"},
      {"keywords", "VARCHAR[]"},
      {"insights", "STRUCT(ticker VARCHAR, sentiment VARCHAR, reasoning VARCHAR)[]"},
      {"sentiment_spy", "VARCHAR"},
      {"sentiment_brk_b", "VARCHAR"},
      {"sentiment_qqq", "VARCHAR"},
      {"ingested_at", "TIMESTAMP WITH TIME ZONE"},
      {"run_id", "VARCHAR"}};
  EXPECT_EQ(columns, expected);

  auto rows = query(
      "SELECT id, CAST(published_utc AS VARCHAR), title, description, author, publisher, CAST(tickers AS VARCHAR), "
      "CAST(keywords AS VARCHAR), len(insights), insights[1].reasoning, sentiment_spy, sentiment_brk_b, "
      "sentiment_qqq, run_id, ingested_at IS NOT NULL");
  ASSERT_EQ(rows.size(), 3u);
  // Ordered by published_utc, then id.
  EXPECT_EQ(*rows[0][0], "c");
  EXPECT_EQ(*rows[1][0], "a");
  EXPECT_EQ(*rows[2][0], "b");
  EXPECT_EQ(*rows[0][1], "2025-01-14 13:05:00.25+00");
  EXPECT_EQ(*rows[1][1], "2025-01-14 15:00:00+00");
  EXPECT_FALSE(rows[0][3].has_value());  // empty description -> NULL
  EXPECT_FALSE(rows[0][4].has_value());  // empty author -> NULL
  EXPECT_EQ(*rows[1][2], "Caf\xc3\xa9 \\ news\nline");
  EXPECT_EQ(*rows[1][3], "Equities softened.");
  EXPECT_EQ(*rows[1][4], "Staff Writer");
  EXPECT_EQ(*rows[1][5], "Benzinga");
  EXPECT_EQ(*rows[1][6], "[SPY, BRK.B]");
  EXPECT_EQ(*rows[0][7], "[]");
  EXPECT_EQ(*rows[0][8], "0");
  EXPECT_EQ(*rows[1][8], "2");
  EXPECT_EQ(*rows[1][9], "Index ETF fell.");
  EXPECT_FALSE(rows[0][10].has_value());  // no insight -> NULL sentiment
  EXPECT_EQ(*rows[1][10], "negative");
  EXPECT_EQ(*rows[1][11], "positive");
  EXPECT_FALSE(rows[1][12].has_value());  // QQQ: configured, no insight
  EXPECT_EQ(*rows[1][13], run_.run_id);
  EXPECT_EQ(*rows[1][14], "true");

  auto quoted = reader_.query("SELECT keywords[2], insights[2].ticker FROM read_parquet(" + file() +
                              ", hive_partitioning = false) WHERE id = 'a'");
  ASSERT_EQ(quoted.size(), 1u);
  EXPECT_EQ(*quoted[0][0], "vol\"atility");
  EXPECT_EQ(*quoted[0][1], "BRK.B");
}

TEST_F(ParquetNewsTest, RewriteReplacesTheDayAndEmptyPartitionStaysReadable) {
  std::vector<NewsArticle> first{article("a", "2025-01-14T15:00:00Z"), article("b", "2025-01-14T16:00:00Z")};
  sink_.write(NewsPartition{kDay, first, sentiment_tickers_}, run_);
  std::vector<NewsArticle> second{article("z", "2025-01-14T17:00:00Z")};
  sink_.write(NewsPartition{kDay, second, sentiment_tickers_}, run_);
  auto rows = query("SELECT id");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(*rows[0][0], "z");

  const auto empty = sink_.write(NewsPartition{kDay, {}, sentiment_tickers_}, run_);
  EXPECT_EQ(empty.rows, 0u);
  EXPECT_TRUE(query("SELECT id").empty());
  auto schema = reader_.query("SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(" + file() +
                              ", hive_partitioning = false)) WHERE column_name = 'sentiment_spy'");
  EXPECT_EQ(schema.size(), 1u);
  std::size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_)) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
}

TEST_F(ParquetNewsTest, NoSentimentTickersMeansNoSentimentColumns) {
  std::vector<NewsArticle> articles{article("a", "2025-01-14T15:00:00Z")};
  sink_.write(NewsPartition{kDay, articles, {}}, run_);
  auto schema = reader_.query("SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(" + file() +
                              ", hive_partitioning = false)) WHERE column_name LIKE 'sentiment_%'");
  EXPECT_TRUE(schema.empty());
}

}  // namespace
}  // namespace soi
