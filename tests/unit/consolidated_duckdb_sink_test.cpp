#include "sinks/duckdb/consolidated_duckdb_sink.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "sinks/duckdb/duckdb_session.hpp"
#include "sinks/parquet/parquet_sink.hpp"
#include "sinks/sink_set.hpp"
#include "sinks/sql/consolidated_schema.hpp"
#include "sinks/store/local_store.hpp"
#include "support/consolidated_duckdb_sink_fixture.hpp"

namespace soi {
namespace {
namespace fs = std::filesystem;
using test::ConsolidatedDuckDbSinkTest;

// What both layouts show readers alike.
class BothLayouts : public ConsolidatedDuckDbSinkTest, public ::testing::WithParamInterface<const char*> {
 protected:
  void SetUp() override {
    layout_ = GetParam();
    ConsolidatedDuckDbSinkTest::SetUp();
  }
};
INSTANTIATE_TEST_SUITE_P(Layouts, BothLayouts, ::testing::Values("tables", "views"),
                         [](const auto& info) { return std::string(info.param); });

TEST_P(BothLayouts, HasNoKeysAndShowsEveryFeed) {
  {
    auto sink = open();
    EXPECT_EQ(sink->path(), db_path());
    const auto r = sink->write(day_.spy_partition(), run_);
    EXPECT_EQ(r.sink, "duckdb");
    EXPECT_EQ(r.rows, 4u);
    EXPECT_EQ(r.date, "2025-01-17");
    EXPECT_EQ(sink->write(day_.vix_partition(), run_).rows, 3u);
    EXPECT_EQ(sink->write(day_.options_partition(), run_).rows, 4u);
    EXPECT_EQ(sink->write(day_.contracts_partition(), run_).rows, 3u);
    EXPECT_EQ(sink->write(day_.news_partition(), run_).rows, 5u);
  }
  auto db = reader();
  // No key index to maintain: a day is replaced by delete + insert.
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM duckdb_constraints() WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE')"),
            "0");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM duckdb_indexes()"), "0");
  EXPECT_EQ(cell(*db, "SELECT table_type FROM information_schema.tables WHERE table_name = 'spy_bars'"),
            views() ? "VIEW" : "BASE TABLE");
  if (!views()) {
    EXPECT_EQ(cell(*db, "SELECT string_agg(column_name, ',' ORDER BY column_index) FROM duckdb_columns() WHERE "
                        "table_name = 'spy_bars' AND NOT is_nullable"),
              "date,ticker,ts,open,high,low,close,ingested_at,run_id,origin");
  }
  // The same columns and types whichever the layout.
  EXPECT_EQ(cell(*db, "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY column_index) FROM "
                      "duckdb_columns() WHERE table_name = 'news'"),
            "date DATE, id VARCHAR, published_utc TIMESTAMP WITH TIME ZONE, title VARCHAR, description VARCHAR, "
            "author VARCHAR, article_url VARCHAR, publisher VARCHAR, tickers VARCHAR[], keywords VARCHAR[], "
            "insights JSON, ingested_at TIMESTAMP WITH TIME ZONE, run_id VARCHAR, sentiment_spy VARCHAR, "
            "sentiment_qqq VARCHAR");
  // Lists of structs: the same JSON text.
  EXPECT_EQ(cell(*db, "SELECT CAST(insights AS VARCHAR) FROM news WHERE id = 'n1'"),
            R"([{"ticker":"SPY","sentiment":"positive","reasoning":"up"},)"
            R"({"ticker":"QQQ","sentiment":"negative","reasoning":"down"}])");

  const auto spy = db->query(
      "SELECT date::VARCHAR, ticker, ts::VARCHAR, close, volume, vwap, transactions, origin, run_id FROM spy_bars "
      "ORDER BY ts");
  ASSERT_EQ(spy.size(), 4u);
  EXPECT_EQ(*spy[0][0], "2025-01-17");
  EXPECT_EQ(*spy[0][2], "2025-01-17 14:30:00+00");
  EXPECT_EQ(*spy[2][3], "592.125");
  EXPECT_EQ(*spy[0][6], "100");
  EXPECT_FALSE(spy[3][6].has_value());  // transactions not carried -> NULL
  EXPECT_EQ(*spy[3][4], "1300.0");
  EXPECT_EQ(*spy[0][7], "rest");
  EXPECT_EQ(*spy[0][8], run_.run_id);
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM vix_bars WHERE volume IS NULL AND vwap IS NULL AND transactions IS NULL"),
            "3");
  EXPECT_EQ(cell(*db, "SELECT underlying || ' ' || contract_type || ' ' || strike || ' ' || expiration FROM "
                      "option_bars WHERE ticker = 'O:SPY250117P00589000' AND ts = TIMESTAMPTZ '2025-01-17 14:30:06Z'"),
            "SPY put 589.0 2025-01-17");
  EXPECT_EQ(cell(*db, "SELECT open_ts::VARCHAR || ' ' || close_ts::VARCHAR FROM sessions"),
            "2025-01-17 14:30:00+00 2025-01-17 14:33:00+00");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM option_contracts WHERE underlying_open = 590 AND open_source = "
                      "'open_close' AND strike_low = 584.1 AND band_pct = 1"),
            "3");
  EXPECT_EQ(cell(*db, "SELECT exercise_style IS NULL FROM option_contracts WHERE ticker = 'O:SPY250117P00589000'"),
            "true");
  const auto news = db->query(
      "SELECT title, description, author, tickers::VARCHAR, keywords[2], json_extract_string(insights, '$[0].ticker'), "
      "sentiment_spy, sentiment_qqq, published_utc::VARCHAR FROM news ORDER BY id");
  ASSERT_EQ(news.size(), 5u);
  EXPECT_EQ(*news[0][0], day_.news[0].title);
  EXPECT_EQ(*news[0][1], "line one\nline two");
  EXPECT_EQ(*news[0][4], "back\\slash, comma");
  EXPECT_EQ(*news[0][5], "SPY");
  EXPECT_EQ(*news[0][6], "positive");
  EXPECT_EQ(*news[0][7], "negative");
  EXPECT_FALSE(news[1][6].has_value());  // n2 has no SPY insight
  EXPECT_FALSE(news[2][2].has_value());  // n3 has no author
  EXPECT_EQ(*news[2][6], "positive");    // "spy" matches SPY
  EXPECT_EQ(*news[0][8], "2025-01-17 14:30:10+00");
}

TEST_P(BothLayouts, RerunReplacesTheDayWithoutDuplicates) {
  {
    auto sink = open();
    write_all(*sink);
    write_all(*sink);  // same content again: no duplicates, no PK violation
  }
  {
    auto db = reader();
    EXPECT_EQ(cell(*db, "SELECT count(*) FROM spy_bars"), "4");
    EXPECT_EQ(cell(*db, "SELECT count(*) FROM option_bars"), "4");
    EXPECT_EQ(cell(*db, "SELECT count(*) FROM news"), "5");
    EXPECT_EQ(cell(*db, "SELECT count(*) FROM option_contracts"), "3");
  }
  // A corrected day: fewer bars, changed values; another day stays untouched.
  test::ConsolidatedDay other;
  other.date = *parse_date("2025-01-16");
  for (auto& d : other.spy)
    for (auto& b : d.bars) b.ts_ms -= 86'400'000;
  std::vector<BarDay> corrected = {day_.spy[0]};
  corrected[0].bars.resize(2);
  corrected[0].bars[1].close = 600;
  {
    auto sink = open();
    sink->write(BarPartition{"spy", other.date, other.spy, 0, 0, "spy_bars"}, run_);
    sink->write(BarPartition{"spy", day_.date, corrected, day_.open_ms, day_.close_ms, "spy_bars"}, RunInfo{"run2", 0});
    std::vector<NewsArticle> one = {day_.news[0]};
    sink->write(NewsPartition{day_.date, one, day_.news_tickers}, run_);
  }
  auto db = reader();
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM spy_bars WHERE date = '2025-01-17'"), "2");
  EXPECT_EQ(cell(*db, "SELECT close || ' ' || run_id FROM spy_bars WHERE ts = TIMESTAMPTZ '2025-01-17 14:30:01Z'"),
            "600.0 run2");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM spy_bars WHERE date = '2025-01-16'"), "4");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM news"), "1");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM sessions"), "1");  // the 16th came without session bounds
}

// Keys are unique upstream and the tables have none: a rerun must still leave
// exactly one row per key, in every table and in the per-second view.
TEST_P(BothLayouts, RerunsLeaveOneRowPerKeyInEveryTableAndTheView) {
  {
    auto sink = open();
    for (int i = 0; i < 3; ++i) write_all(*sink);
  }
  {
    auto sink = open();  // a later run replaces the day again
    write_all(*sink);
  }
  auto db = reader();
  for (const auto& [table, key] : std::vector<std::pair<std::string, std::string>>{
           {"spy_bars", "ticker, ts"}, {"vix_bars", "ticker, ts"}, {"option_bars", "ticker, ts"},
           {"option_contracts", "date, ticker"}, {"news", "id"}, {"sessions", "date"}})
    EXPECT_EQ(cell(*db, "SELECT count(*) FROM (SELECT " + key + " FROM " + table + " GROUP BY " + key +
                            " HAVING count(*) > 1)"),
              "0")
        << table;
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM spy_bars"), "4");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM news"), "5");
  EXPECT_EQ(cell(*db, "SELECT count(*) || ' ' || count(DISTINCT ts) FROM market_seconds"), "180 180");
  EXPECT_EQ(cell(*db, "SELECT calls_traded || ' ' || call_volume FROM market_seconds WHERE ts = "
                      "TIMESTAMPTZ '2025-01-17 14:30:05Z'"),
            "2 30.0");
  EXPECT_EQ(cell(*db, "SELECT news_count FROM market_seconds WHERE ts = TIMESTAMPTZ '2025-01-17 14:30:00Z'"), "2");
}

// A database made when the tables had primary keys: the first open rebuilds
// them without, keeping every row, column order and NOT NULL, once.
TEST_F(ConsolidatedDuckDbSinkTest, ADatabaseWithPrimaryKeysIsMigratedOnceKeepingItsRows) {
  fs::create_directories(db_path().parent_path());
  {
    DuckDbSession old(db_path().string(), 1);
    old.execute(
        "CREATE TABLE schema_version (version INTEGER NOT NULL, description VARCHAR NOT NULL, applied_at "
        "TIMESTAMPTZ NOT NULL, PRIMARY KEY (version))");
    old.execute(
        "CREATE TABLE sessions (date DATE NOT NULL, open_ts TIMESTAMPTZ NOT NULL, close_ts TIMESTAMPTZ NOT NULL, "
        "PRIMARY KEY (date))");
    old.execute(
        "CREATE TABLE spy_bars (date DATE NOT NULL, ticker VARCHAR NOT NULL, ts TIMESTAMPTZ NOT NULL, open DOUBLE "
        "NOT NULL, high DOUBLE NOT NULL, low DOUBLE NOT NULL, close DOUBLE NOT NULL, volume DOUBLE, vwap DOUBLE, "
        "transactions BIGINT, ingested_at TIMESTAMPTZ NOT NULL, run_id VARCHAR NOT NULL, origin VARCHAR NOT NULL, "
        "PRIMARY KEY (ticker, ts))");
    old.execute("INSERT INTO schema_version VALUES (1, 'base tables', TIMESTAMPTZ '2025-01-01 00:00:00Z')");
    old.execute(
        "INSERT INTO sessions VALUES (DATE '2025-01-16', TIMESTAMPTZ '2025-01-16 14:30:00Z', "
        "TIMESTAMPTZ '2025-01-16 14:31:00Z')");
    old.execute(
        "INSERT INTO spy_bars VALUES (DATE '2025-01-16', 'SPY', TIMESTAMPTZ '2025-01-16 14:30:00Z', 1, 2, 0.5, 1.5, "
        "10, 1.2, 3, TIMESTAMPTZ '2025-01-16 22:00:00Z', 'old-run', 'rest'), (DATE '2025-01-16', 'SPY', "
        "TIMESTAMPTZ '2025-01-16 14:30:01Z', 1, 2, 0.5, 1.75, NULL, NULL, NULL, TIMESTAMPTZ '2025-01-16 22:00:00Z', "
        "'old-run', 'rest')");
  }
  {
    auto sink = open();
    write_all(*sink);
    write_all(*sink);
  }
  { auto sink = open(); }  // already migrated: nothing to do
  auto db = reader();
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"), "0");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM duckdb_indexes()"), "0");
  EXPECT_EQ(cell(*db, "SELECT string_agg(version || ':' || description, ',' ORDER BY version) FROM schema_version "
                      "WHERE description LIKE 'drop primary keys%' OR version = 1"),
            "1:base tables,2:drop primary keys (a day is replaced by delete + insert; keys are unique upstream)");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM schema_version WHERE description LIKE 'drop primary keys%'"), "1");
  EXPECT_EQ(cell(*db, "SELECT string_agg(close || '/' || coalesce(CAST(volume AS VARCHAR), 'NULL'), ',' ORDER BY ts) "
                      "FROM spy_bars WHERE date = DATE '2025-01-16'"),
            "1.5/10.0,1.75/NULL");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM spy_bars WHERE date = DATE '2025-01-17'"), "4");
  EXPECT_EQ(cell(*db, "SELECT string_agg(column_name, ',' ORDER BY column_index) FROM duckdb_columns() WHERE "
                      "table_name = 'spy_bars' AND NOT is_nullable"),
            "date,ticker,ts,open,high,low,close,ingested_at,run_id,origin");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM sessions"), "2");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM market_seconds"), "240");  // 60 s on the 16th, 180 on the 17th
}

// The news key is the id across days: an article whose publication time was
// corrected into another New York day moves there, leaving no copy behind.
TEST_P(BothLayouts, AnArticleWhoseDayChangedMovesToItsNewDay) {
  const Date next = *parse_date("2025-01-18");
  {
    auto sink = open();
    sink->write(day_.news_partition(), run_);
    std::vector<NewsArticle> moved = {day_.news[0]};
    moved[0].title = "corrected";
    sink->write(NewsPartition{next, moved, day_.news_tickers}, RunInfo{"run2", 0});
  }
  auto db = reader();
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM news"), "5");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM news WHERE id = " + DuckDbSession::quote(day_.news[0].id)), "1");
  EXPECT_EQ(cell(*db, "SELECT CAST(date AS VARCHAR) || ' ' || title || ' ' || run_id FROM news WHERE id = " +
                          DuckDbSession::quote(day_.news[0].id)),
            "2025-01-18 corrected run2");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM news WHERE date = DATE '2025-01-17'"), "4");
}

TEST_P(BothLayouts, ViewGivesOneRowPerSessionSecond) {
  {
    auto sink = open();
    write_all(*sink);
  }
  auto db = reader();
  const auto r = db->query_with_names("SELECT * FROM market_seconds ORDER BY ts");
  EXPECT_EQ(r.names, sql::view_columns());
  ASSERT_EQ(r.rows.size(), 180u);  // 3-minute session
  const auto col = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(r.names.begin(), r.names.end(), name) - r.names.begin());
  };
  const auto v = [&](int second, const std::string& name) -> std::string {
    const auto& c = r.rows[static_cast<std::size_t>(second)][col(name)];
    return c ? *c : "NULL";
  };
  EXPECT_EQ(v(0, "ts"), "2025-01-17 14:30:00+00");
  EXPECT_EQ(v(179, "ts"), "2025-01-17 14:32:59+00");
  EXPECT_EQ(v(0, "date"), "2025-01-17");
  // SPY bar when there is one, NULL otherwise.
  EXPECT_EQ(v(5, "spy_close"), "592.125");
  EXPECT_EQ(v(5, "spy_volume"), "1200.0");
  EXPECT_EQ(v(5, "spy_transactions"), "120");
  EXPECT_EQ(v(2, "spy_close"), "NULL");
  EXPECT_EQ(v(61, "spy_transactions"), "NULL");
  // VIX: last known value (including the bar before the open).
  EXPECT_EQ(v(0, "vix"), "15.5");
  EXPECT_EQ(v(2, "vix"), "15.5");
  EXPECT_EQ(v(3, "vix"), "16.5");
  EXPECT_EQ(v(99, "vix"), "16.5");
  EXPECT_EQ(v(100, "vix"), "17.0");
  EXPECT_EQ(v(179, "vix"), "17.0");
  // Options at exactly that second.
  EXPECT_EQ(v(5, "calls_traded"), "2");
  EXPECT_EQ(v(5, "call_volume"), "30.0");
  EXPECT_EQ(v(5, "puts_traded"), "1");
  EXPECT_EQ(v(5, "put_volume"), "7.0");
  EXPECT_EQ(v(6, "calls_traded"), "0");
  EXPECT_EQ(v(6, "call_volume"), "0.0");
  EXPECT_EQ(v(6, "puts_traded"), "1");
  EXPECT_EQ(v(6, "put_volume"), "3.0");
  EXPECT_EQ(v(7, "puts_traded"), "0");
  // News per minute, sentiment of the first configured ticker.
  for (int s : {0, 30, 59}) {
    EXPECT_EQ(v(s, "news_count"), "2") << s;
    EXPECT_EQ(v(s, "news_sentiment"), "1.0") << s;
  }
  for (int s : {60, 119}) {
    EXPECT_EQ(v(s, "news_count"), "3") << s;
    EXPECT_EQ(v(s, "news_sentiment"), "0.0") << s;
  }
  EXPECT_EQ(v(120, "news_count"), "0");
  EXPECT_EQ(v(120, "news_sentiment"), "NULL");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM market_seconds WHERE date = '2025-01-17'"), "180");
}

TEST_P(BothLayouts, NewTickerIsAMigrationAndTheViewFollowsTheFirstTicker) {
  { auto sink = open({"SPY"}); }
  {
    auto db = reader();
    // Views take the column from the files (NULL until one has it): no migration.
    EXPECT_EQ(cell(*db, "SELECT string_agg(version || ':' || description, ',' ORDER BY version) FROM schema_version"),
              views() ? "1:base tables" : "1:base tables,2:add news.sentiment_spy");
  }
  {
    auto sink = open({"QQQ", "BRK.B", "SPY"});  // QQQ first now
    write_all(*sink);
    std::vector<std::string> tickers = {"NVDA"};
    std::vector<NewsArticle> one = {day_.news[0]};
    one[0].id = "n9";
    one[0].insights.push_back({"NVDA", "neutral", "x"});
    sink->write(NewsPartition{*parse_date("2025-01-16"), one, tickers}, run_);  // a column added by a write
  }
  auto db = reader();
  EXPECT_EQ(cell(*db, "SELECT string_agg(version || ':' || description, ',' ORDER BY version) FROM schema_version"),
            views() ? "1:base tables"
                    : "1:base tables,2:add news.sentiment_spy,3:add news.sentiment_qqq,4:add news.sentiment_brk_b,"
                      "5:add news.sentiment_nvda");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM news WHERE sentiment_brk_b IS NULL"), "6");
  EXPECT_EQ(cell(*db, "SELECT sentiment_nvda FROM news WHERE date = '2025-01-16'"), "neutral");
  // QQQ: n1 negative in minute 0; n2 neutral there too -> mean -0.5.
  EXPECT_EQ(cell(*db, "SELECT news_sentiment FROM market_seconds WHERE ts = TIMESTAMPTZ '2025-01-17 14:30:00Z'"),
            "-0.5");
}

TEST_P(BothLayouts, EmptyPartitionLeavesTheDayEmptyAndAPartitionWithoutTableIsAStorageError) {
  auto sink = open();
  write_all(*sink);
  EXPECT_EQ(sink->write(BarPartition{"spy", day_.date, {}, 0, 0, "spy_bars"}, run_).rows, 0u);
  try {
    sink->write(BarPartition{"crypto", day_.date, day_.spy, 0, 0}, run_);
    FAIL() << "expected an error";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
    EXPECT_NE(std::string(e.what()).find("crypto"), std::string::npos) << e.what();
  }
  sink.reset();
  auto db = reader();
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM spy_bars"), "0");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM market_seconds WHERE spy_close IS NOT NULL"), "0");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM market_seconds"), "180");
}

// Writes fail while an object lives: the process's file size limit drops to 0
// (EFBIG on any write to a regular file, as on a full or read-only disk, without
// root), and comes back when it goes. Test output to a pipe is unaffected.
class FailingWrites {
 public:
  FailingWrites() {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    previous_ = ::signal(SIGXFSZ, SIG_IGN);
    rlimit none = saved_;
    none.rlim_cur = 0;
    ::setrlimit(RLIMIT_FSIZE, &none);
  }
  ~FailingWrites() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    ::signal(SIGXFSZ, previous_);
  }
  FailingWrites(const FailingWrites&) = delete;
  FailingWrites& operator=(const FailingWrites&) = delete;

 private:
  rlimit saved_{};
  sighandler_t previous_ = SIG_DFL;
};

TEST_P(BothLayouts, FailedWriteRollsBackAndKeepsThePreviousDay) {
  auto sink = open();
  write_all(*sink);
  std::vector<BarDay> corrected = {day_.spy[0]};
  corrected[0].bars.resize(2);
  {
    FailingWrites failing;
    EXPECT_THROW(sink->write(BarPartition{"spy", day_.date, corrected, 0, 0, "spy_bars"}, RunInfo{"run2", 0}),
                 SoiError);
  }
  EXPECT_EQ(sink->write(day_.vix_partition(), run_).rows, 3u);  // the sink is still usable
  sink.reset();
  auto db = reader();
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM spy_bars"), "4");
  EXPECT_EQ(cell(*db, "SELECT string_agg(DISTINCT run_id, ',') FROM spy_bars"), run_.run_id);
}

// A commit that fails in the database itself (its write-ahead log cannot be
// written) leaves no open transaction behind: the next replace of the same
// day in the same run succeeds, with no duplicates.
TEST_P(BothLayouts, AFailedCommitIsRolledBackAndTheNextReplaceOfTheDaySucceeds) {
  auto sink = open();
  write_all(*sink);
  {
    FailingWrites failing;
    // The second attempt first reopens the database, which may or may not
    // fail while writes do: either way a storage error, and no state kept.
    for (int attempt = 0; attempt < 2; ++attempt) {
      try {
        sink->write(day_.spy_partition(), RunInfo{"failed-run", 0});
        ADD_FAILURE() << "expected the commit to fail, attempt " << attempt;
      } catch (const SoiError& e) {
        EXPECT_EQ(e.category(), ErrorCategory::storage);
        EXPECT_NE(std::string(e.what()).find("2025-01-17"), std::string::npos) << e.what();
      }
    }
  }
  const auto r = sink->write(day_.spy_partition(), RunInfo{"run2", 0});
  EXPECT_EQ(r.rows, 4u);
  EXPECT_EQ(sink->write(day_.vix_partition(), RunInfo{"run2", 0}).rows, 3u);
  sink.reset();
  auto db = reader();
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM spy_bars"), "4");
  EXPECT_EQ(cell(*db, "SELECT count(DISTINCT ts) FROM spy_bars"), "4");
  EXPECT_EQ(cell(*db, "SELECT string_agg(DISTINCT run_id, ',') FROM spy_bars"), "run2");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM vix_bars"), "3");
  EXPECT_EQ(cell(*db, "SELECT count(*) FROM market_seconds"), "180");
}

TEST_F(ConsolidatedDuckDbSinkTest, FileLockedByAnotherProcessIsAClearStorageError) {
  { auto sink = open(); }
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    duckdb_database db = nullptr;
    const bool opened = duckdb_open(db_path().c_str(), &db) == DuckDBSuccess;
    const char byte = opened ? '1' : '0';
    if (::write(ready[1], &byte, 1) != 1) ::_exit(1);
    ::pause();
    ::_exit(0);
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ASSERT_EQ(byte, '1');
  try {
    open();
    ADD_FAILURE() << "expected a lock error";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
    const std::string what = e.what();
    EXPECT_NE(what.find("locked by another process"), std::string::npos) << what;
    EXPECT_NE(what.find(db_path().string()), std::string::npos) << what;
  }
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  EXPECT_NO_THROW(open());  // free again
}

TEST_F(ConsolidatedDuckDbSinkTest, ConfiguredPathIsUsed) {
  DuckDbSinkConfig config;
  config.layout = "tables";  // no Parquet sink here
  config.path = (dir_ / "elsewhere/x.duckdb").string();
  ConsolidatedDuckDbSink sink(dir_.string(), config, {}, 1);
  EXPECT_EQ(sink.path(), dir_ / "elsewhere/x.duckdb");
  EXPECT_TRUE(fs::exists(dir_ / "elsewhere/x.duckdb"));
  sink.write(day_.news_partition(), run_);  // no configured ticker: the view's sentiment is NULL
}

}  // namespace
}  // namespace soi
