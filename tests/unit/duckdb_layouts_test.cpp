// The consolidated database's two layouts (tables, views over the Parquet
// files) and how an existing database converts from one to the other.
#include <gtest/gtest.h>

#include <filesystem>

#include "config/config.hpp"
#include "sinks/sink_factory.hpp"
#include "support/consolidated_duckdb_sink_fixture.hpp"

namespace soi {
namespace {
namespace fs = std::filesystem;
using test::ConsolidatedDuckDbSinkTest;

// A database of the tables layout becomes views at the first open with
// layout views (its rows are all in the files), and tables again at the first
// open with layout tables, each a recorded migration, showing the same rows.
TEST_F(ConsolidatedDuckDbSinkTest, TheLayoutsConvertIntoEachOtherKeepingEveryRow) {
  const std::string rows_sql =
      "SELECT (SELECT count(*) FROM spy_bars) || '/' || (SELECT count(*) FROM vix_bars) || '/' || "
      "(SELECT count(*) FROM option_bars) || '/' || (SELECT count(*) FROM option_contracts) || '/' || "
      "(SELECT count(*) FROM news) || '/' || (SELECT count(*) FROM market_seconds WHERE spy_close IS NOT NULL)";
  const std::string kinds_sql =
      "SELECT string_agg(table_name || ':' || table_type, ',' ORDER BY table_name) FROM information_schema.tables "
      "WHERE table_name IN ('spy_bars', 'news', 'sessions')";
  {
    auto sink = open();
    write_all(*sink);
  }
  std::string rows;
  {
    auto db = reader();
    rows = cell(*db, rows_sql);
    EXPECT_EQ(rows, "4/3/4/3/5/4");
  }
  layout_ = "views";
  { auto sink = open(); }
  {
    auto db = reader();
    EXPECT_EQ(cell(*db, kinds_sql), "news:VIEW,sessions:BASE TABLE,spy_bars:VIEW");
    EXPECT_EQ(cell(*db, rows_sql), rows);
    EXPECT_EQ(cell(*db, "SELECT count(*) FROM schema_version WHERE description LIKE 'replace table % by a view%'"),
              "5");
  }
  { auto sink = open(); }  // converted once
  write_all_as("tables");  // the tables take writes again
  auto db = reader();
  EXPECT_EQ(cell(*db, kinds_sql), "news:BASE TABLE,sessions:BASE TABLE,spy_bars:BASE TABLE");
  EXPECT_EQ(cell(*db, rows_sql), rows);
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM schema_version WHERE description LIKE 'replace table %'"), "5");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM schema_version WHERE description LIKE 'copy the view %'"), "5");
  EXPECT_EQ(cell(*db, "SELECT data_type FROM duckdb_columns() WHERE table_name = 'spy_bars' AND column_name = 'ts'"),
            "TIMESTAMP WITH TIME ZONE");
}

// Rows that only a table holds (a day whose Parquet file is gone) are never
// dropped by the conversion, even when the files hold as many rows on other
// days: the open fails, naming the day and what to do, and the database is
// left as it was (news is the last table converted: the others roll back).
TEST_F(ConsolidatedDuckDbSinkTest, ATableHoldingRowsItsFilesLackIsNotReplacedByAView) {
  {
    auto sink = open();
    write_all(*sink);
  }
  {
    // Another day's articles in a file only: as many rows, none of the table's.
    std::vector<NewsArticle> others = day_.news;
    for (NewsArticle& a : others) {
      a.id += "-other";
      a.published_ms -= 86'400'000;
    }
    ParquetSink parquet(std::make_shared<LocalStore>(dir_), ParquetSinkConfig{});
    parquet.write(NewsPartition{*parse_date("2025-01-16"), others, day_.news_tickers}, run_);
  }
  fs::remove(parquet_partition_file(dir_, "news", day_.date));
  layout_ = "views";
  try {
    open();
    ADD_FAILURE() << "expected the conversion to be refused";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
    const std::string what = e.what();
    EXPECT_NE(what.find("table news holds rows its Parquet files"), std::string::npos) << what;
    EXPECT_NE(what.find("on 1 day(s): 2025-01-17 (5 rows in the table, 0 in its file)"), std::string::npos) << what;
    EXPECT_NE(what.find("sinks.duckdb.layout: tables"), std::string::npos) << what;
  }
  auto db = reader();
  EXPECT_EQ(cell(*db, "SELECT string_agg(table_type, ',' ORDER BY table_name) FROM information_schema.tables WHERE "
                      "table_name IN ('spy_bars', 'news')"),
            "BASE TABLE,BASE TABLE");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM spy_bars"), "4");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM news"), "5");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM schema_version WHERE description LIKE 'replace table %'"), "0");
}

// Back to tables: each becomes a table again with its NOT NULLs, and a feed
// whose files are all gone (a bucket became the primary store) starts empty
// rather than failing the open.
TEST_F(ConsolidatedDuckDbSinkTest, ViewsBecomeTablesWithTheirConstraintsAndAFeedWithoutFilesStartsEmpty) {
  write_all_as("views");
  fs::remove_all(dir_ / "raw" / "vix");
  layout_ = "tables";
  { auto sink = open(); }
  auto db = reader();
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM spy_bars"), "4");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM vix_bars"), "0");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM news WHERE sentiment_qqq = 'negative'"), "1");
  EXPECT_EQ(cell(*db, "SELECT string_agg(column_name, ',' ORDER BY column_index) FROM duckdb_columns() WHERE "
                      "table_name = 'spy_bars' AND NOT is_nullable"),
            "date,ticker,ts,open,high,low,close,ingested_at,run_id,origin");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE '%before_tables'"), "0");
}

// A ticker added to the configuration once news files exist: its column is
// NULL until a day brings it, and that day's commit makes the view show it.
TEST_F(ConsolidatedDuckDbSinkTest, AViewShowsANewTickersSentimentOnceADayBringsIt) {
  layout_ = "views";
  const std::vector<std::string> spy_only = {"SPY"};
  {
    auto sink = open(spy_only);
    sink->write(NewsPartition{day_.date, day_.news, spy_only}, run_);
  }
  {
    auto sink = open({"QQQ", "SPY"});  // QQQ's column: no file has it yet
    sink->write(day_.spy_partition(), run_);  // the session, for market_seconds
    sink->write(day_.news_partition(), run_);
  }
  auto db = reader();
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM news WHERE sentiment_qqq = 'negative'"), "1");
  EXPECT_EQ(cell(*db, "SELECT news_sentiment FROM market_seconds WHERE ts = TIMESTAMPTZ '2025-01-17 14:30:00Z'"),
            "-0.5");
}

// A feed with no file yet is an empty view of its columns; its first day's
// commit makes the view read the files.
TEST_F(ConsolidatedDuckDbSinkTest, AFeedWithoutFilesIsAnEmptyViewUntilItsFirstDay) {
  layout_ = "views";
  { auto sink = open(); }
  {
    auto db = reader();
    const auto empty = db->query_with_names("SELECT * FROM spy_bars");
    EXPECT_TRUE(empty.rows.empty());
    EXPECT_EQ(empty.names.front(), "date");
    EXPECT_EQ(cell(*db, "SELECT count(*) FROM market_seconds"), "0");
  }
  {
    auto sink = open();
    EXPECT_EQ(sink->write(day_.spy_partition(), run_).rows, 4u);
    EXPECT_EQ(sink->write(day_.news_partition(), run_).rows, 5u);
  }
  auto db = reader();
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM spy_bars"), "4");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM news WHERE sentiment_qqq = 'negative'"), "1");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM vix_bars"), "0");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM market_seconds WHERE spy_close IS NOT NULL"), "4");
}

// The files hold UTC wall times; the views' TIMESTAMPTZ columns are the same
// instants whatever TimeZone the reader's session has.
TEST_F(ConsolidatedDuckDbSinkTest, ViewTimestampsAreTheSameInstantsInAnyReaderTimeZone) {
  write_all_as("views");
  auto db = reader();
  db->execute("SET TimeZone = 'America/New_York'");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM spy_bars WHERE ts = TIMESTAMPTZ '2025-01-17 14:30:00Z'"), "1");
  EXPECT_EQ(cell(*db, "SELECT epoch_ms(published_utc) FROM news WHERE id = 'n1'"), std::to_string(day_.news[0].published_ms));
  EXPECT_EQ(cell(*db, "SELECT ts::VARCHAR FROM spy_bars ORDER BY ts LIMIT 1"), "2025-01-17 09:30:00-05");
}

// Views need the Parquet files on local disk: a bucket as the primary store
// has none, so the run keeps tables; a mirror keeps the local files.
TEST(DuckDbSinkConfig, ABucketAsThePrimaryStoreMeansTables) {
  Config config;
  EXPECT_EQ(duckdb_sink_config(config).layout, "views");
  config.sinks.object_store.enabled = true;
  config.sinks.object_store.role = "mirror";
  EXPECT_EQ(duckdb_sink_config(config).layout, "views");
  config.sinks.object_store.role = "primary";
  EXPECT_EQ(duckdb_sink_config(config).layout, "tables");
  config.sinks.duckdb.layout = "tables";
  config.sinks.object_store.enabled = false;
  EXPECT_EQ(duckdb_sink_config(config).layout, "tables");
}

}  // namespace
}  // namespace soi
