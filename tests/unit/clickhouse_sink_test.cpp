// ClickHouseSink against real, throw-away ClickHouse servers
// (tests/support/clickhouse_server.hpp): one server, and two servers as the
// shards of a cluster. One server (or pair) per suite, one database per test.
#include "sinks/clickhouse/clickhouse_sink.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sinks/clickhouse/clickhouse_error.hpp"
#include "sinks/clickhouse/row_binary_writer.hpp"
#include "sinks/duckdb/consolidated_duckdb_sink.hpp"
#include "sinks/duckdb/duckdb_session.hpp"
#include "sinks/sink_set.hpp"
#include "sinks/sql/consolidated_schema.hpp"
#include "support/clickhouse_server.hpp"
#include "support/consolidated_fixture.hpp"
#include "support/suite_server.hpp"
#include "utils/error.hpp"
#include "utils/redact.hpp"

namespace soi {
namespace {

using Rows = std::vector<std::vector<std::string>>;

Rows parse_tsv(const std::string& text) {
  Rows rows;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::vector<std::string> row;
    std::size_t field = start;
    while (true) {
      const std::size_t tab = text.find('\t', field);
      if (tab == std::string::npos || tab > end) {
        row.push_back(text.substr(field, end - field));
        break;
      }
      row.push_back(text.substr(field, tab - field));
      field = tab + 1;
    }
    rows.push_back(std::move(row));
    start = end + 1;
  }
  return rows;
}

std::string view_select_list() {
  std::string cols;
  for (const std::string& c : sql::view_columns()) cols += (cols.empty() ? "" : ", ") + c;
  return cols;
}

// market_seconds from a ClickHouse server equals DuckDB's for the same day: same
// rows, NULLs in the same places, numbers equal (ts compared as UTC ms).
void expect_view_equals_duckdb(const test::ClickHouseServer& server, const std::string& database,
                               const std::filesystem::path& duckdb_path) {
  const Rows ch = parse_tsv(server.query("SELECT " + view_select_list() +
                                         " FROM market_seconds ORDER BY date, ts FORMAT TabSeparated",
                                         database));
  DuckDbSession duck(duckdb_path.string(), 1, true);
  std::string duck_cols;
  for (const std::string& c : sql::view_columns())
    duck_cols += (duck_cols.empty() ? "" : ", ") + (c == "ts" ? std::string("epoch_ms(ts)") : c);
  const auto dk = duck.query("SELECT " + duck_cols + " FROM market_seconds ORDER BY date, ts");
  ASSERT_EQ(ch.size(), dk.size());
  ASSERT_GT(ch.size(), 0u);
  const auto names = sql::view_columns();
  for (std::size_t r = 0; r < ch.size(); ++r) {
    ASSERT_EQ(ch[r].size(), names.size());
    for (std::size_t c = 0; c < names.size(); ++c) {
      const std::string& got = ch[r][c];
      const std::optional<std::string>& want = dk[r][c];
      if (!want) {
        EXPECT_EQ(got, "\\N") << "row " << r << " column " << names[c];
      } else if (names[c] == "date") {
        EXPECT_EQ(got, *want) << "row " << r;
      } else {
        ASSERT_NE(got, "\\N") << "row " << r << " column " << names[c] << " expected " << *want;
        EXPECT_NEAR(std::stod(got), std::stod(*want), 1e-9) << "row " << r << " column " << names[c];
      }
    }
  }
}

TEST(ClickHouseErrorTest, ReadsTheCodeAndMessageOf1816AndNewerBodies) {
  const ClickHouseError old = parse_clickhouse_error(
      500, "Code: 60, e.displayText() = DB::Exception: Table soi.x doesn't exist., e.what() = DB::Exception\n");
  EXPECT_EQ(old.code, 60);
  EXPECT_EQ(old.message, "Code: 60: Table soi.x doesn't exist.");
  EXPECT_EQ(old.category, ErrorCategory::storage);
  const ClickHouseError auth = parse_clickhouse_error(
      401, "Code: 193, e.displayText() = DB::Exception: Wrong password for user soi, e.what() = DB::Exception");
  EXPECT_EQ(auth.code, 193);
  EXPECT_EQ(auth.category, ErrorCategory::auth);
  const ClickHouseError current = parse_clickhouse_error(
      516, "Code: 516. DB::Exception: soi: Authentication failed: password is incorrect. (AUTHENTICATION_FAILED) "
           "(version 23.8.1.94 (official build))\n");
  EXPECT_EQ(current.code, 516);
  EXPECT_EQ(current.message,
            "Code: 516: soi: Authentication failed: password is incorrect. (AUTHENTICATION_FAILED)");
  EXPECT_EQ(current.category, ErrorCategory::auth);
  const ClickHouseError proxy = parse_clickhouse_error(502, "<html>Bad Gateway</html>\nmore");
  EXPECT_EQ(proxy.code, 0);
  EXPECT_EQ(proxy.message, "HTTP 502: <html>Bad Gateway</html>");
  EXPECT_EQ(parse_clickhouse_error(401, "").category, ErrorCategory::auth);
  EXPECT_EQ(parse_clickhouse_error(500, "Code: x").message, "HTTP 500: Code: x");
}

TEST(RowBinaryWriterTest, EncodesNullablesListsAndDatesAndRoutesByTicker) {
  const std::vector<Column> columns = {{"date", LogicalType::date},
                                       {"ticker", LogicalType::text},
                                       {"volume", LogicalType::float64, true},
                                       {"n", LogicalType::int32},
                                       {"tags", LogicalType::text_list}};
  RowBinaryWriter one(columns, "ticker", 1);
  one.date(*parse_date("1970-01-03"));
  one.text("AB");
  one.null();
  one.int64(7);
  one.begin_list(2);
  one.text("x");
  one.text("");
  one.end_list();
  one.end_row();
  EXPECT_EQ(one.bodies()[0], std::string("\x02\x00\x02" "AB\x01\x07\x00\x00\x00\x02\x01x\x00", 14));
  EXPECT_EQ(one.rows()[0], 1u);

  RowBinaryWriter two(columns, "ticker", 2);
  for (const char* ticker : {"SPY", "QQQ", "SPY", "IWM", "DIA"}) {
    two.date(*parse_date("2025-01-17"));
    two.text(ticker);
    two.float64(1.5);
    two.int64(1);
    two.begin_list(0);
    two.end_list();
    two.end_row();
  }
  EXPECT_EQ(two.rows()[0] + two.rows()[1], 5u);
  EXPECT_EQ(two.rows()[fnv1a64("SPY") % 2] >= 2, true);
  EXPECT_THROW(two.end_row(), SoiError);  // a row without its values
}

// What both suites share: a database per test, fast retries, a DuckDB beside.
class ClickHouseSinkFixture : public ::testing::Test {
 protected:
  void prepare(const std::string& start_error) {
    ASSERT_TRUE(start_error.empty()) << start_error;
    database_ = "t_" + test::current_test_slug(60);
    retry_.max_attempts = 2;
    retry_.initial_backoff_ms = 10;
    retry_.max_backoff_ms = 50;
    retry_.jitter = 0;
    dir_ = std::filesystem::temp_directory_path() / ("soi_ch_duck_" + database_ + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  static ClickHouseEndpoint endpoint(const test::ClickHouseServer& server, std::string password) {
    ClickHouseEndpoint e;
    e.url = server.url();
    e.user = test::kClickHouseUser;
    e.password = std::move(password);
    e.password_env = "SOI_CLICKHOUSE_PASSWORD";
    e.connect_timeout_seconds = 2;
    return e;
  }
  static std::string cell(const test::ClickHouseServer& server, const std::string& database, const std::string& sql) {
    std::string out = server.query(sql, database);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  void write_all(Sink& sink) { day_.write_to(sink, run_); }

  std::string database_;
  RetryPolicy retry_;
  std::filesystem::path dir_;
  test::ConsolidatedDay day_;
  RunInfo run_{"20250117T101502Z-3f9a", 0};
};

class ClickHouseSinkTest : public ClickHouseSinkFixture {
 protected:
  static void SetUpTestSuite() { start_error_ = test::start_suite_server(server_); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { prepare(start_error_); }

  ClickHouseEndpoint endpoint(std::string password) const {
    return ClickHouseSinkFixture::endpoint(*server_, std::move(password));
  }
  std::unique_ptr<ClickHouseSink> open(std::vector<std::string> tickers = {"SPY", "QQQ"}) {
    return std::make_unique<ClickHouseSink>(std::vector<ClickHouseEndpoint>{endpoint(server_->password())},
                                            sql::clickhouse::Layout{database_, ""}, retry_, std::move(tickers));
  }
  std::string cell(const std::string& sql) const { return ClickHouseSinkFixture::cell(*server_, database_, sql); }
  Rows q(const std::string& sql) const { return parse_tsv(server_->query(sql + " FORMAT TabSeparated", database_)); }

  static test::ClickHouseServer* server_;
  static std::string start_error_;
};

test::ClickHouseServer* ClickHouseSinkTest::server_ = nullptr;
std::string ClickHouseSinkTest::start_error_;

TEST_F(ClickHouseSinkTest, LoadsEveryFeedWithItsValues) {
  auto sink = open();
  const auto r = sink->write(day_.spy_partition(), run_);
  EXPECT_EQ(r.sink, "clickhouse");
  EXPECT_EQ(r.rows, 4u);
  EXPECT_EQ(r.location, server_->url() + "/" + database_ + ".spy_bars");
  EXPECT_EQ(sink->write(day_.vix_partition(), run_).rows, 3u);
  EXPECT_EQ(sink->write(day_.options_partition(), run_).rows, 4u);
  EXPECT_EQ(sink->write(day_.contracts_partition(), run_).rows, 3u);
  EXPECT_EQ(sink->write(day_.news_partition(), run_).rows, 5u);

  EXPECT_EQ(cell("SELECT engine_full FROM system.tables WHERE database = '" + database_ + "' AND name = 'spy_bars'"),
            "ReplacingMergeTree(ingested_at) PARTITION BY date ORDER BY (ticker, ts) SETTINGS index_granularity = 8192");
  const Rows spy = q("SELECT date, ticker, ts, ts_time, close, volume, vwap, transactions, origin, run_id FROM "
                     "spy_bars ORDER BY ts");
  ASSERT_EQ(spy.size(), 4u);
  EXPECT_EQ(spy[0][0], "2025-01-17");
  EXPECT_EQ(spy[0][2], std::to_string(day_.open_ms));
  EXPECT_EQ(spy[0][3], "2025-01-17 14:30:00");
  EXPECT_EQ(spy[2][4], "592.125");
  EXPECT_EQ(spy[0][7], "100");
  EXPECT_EQ(spy[3][7], "\\N");  // transactions not carried -> NULL
  EXPECT_EQ(spy[0][9], run_.run_id);
  EXPECT_EQ(cell("SELECT count() FROM vix_bars WHERE volume IS NULL AND vwap IS NULL AND transactions IS NULL"), "3");
  EXPECT_EQ(cell("SELECT concat(underlying, ' ', contract_type, ' ', toString(strike), ' ', toString(expiration)) "
                 "FROM option_bars WHERE ticker = 'O:SPY250117P00589000' AND ts = " +
                 std::to_string(day_.at(6))),
            "SPY put 589 2025-01-17");
  EXPECT_EQ(cell("SELECT concat(toString(open_ts), ' ', toString(close_ts_time)) FROM sessions"),
            std::to_string(day_.open_ms) + " 2025-01-17 14:33:00");
  EXPECT_EQ(cell("SELECT count() FROM option_contracts WHERE underlying_open = 590 AND strike_low = 584.1 AND "
                 "exercise_style IS NOT NULL AND shares_per_contract = 100"),
            "2");
  const Rows news = q(
      "SELECT title, description, author, tickers[2], keywords[2], visitParamExtractString(insights, 'ticker'), "
      "sentiment_spy, sentiment_qqq, published_utc FROM news ORDER BY id");
  ASSERT_EQ(news.size(), 5u);
  // Text survives byte for byte (TabSeparated output would escape it: compare in hex).
  const auto hex = [](const std::string& text) {
    std::string out;
    for (unsigned char c : text) out += fmt::format("{:02X}", c);
    return out;
  };
  EXPECT_EQ(cell("SELECT hex(title) FROM news WHERE id = 'n1'"), hex(day_.news[0].title));
  EXPECT_EQ(cell("SELECT hex(description) FROM news WHERE id = 'n1'"), hex("line one\nline two"));
  EXPECT_EQ(news[0][3], "Q\"Q{Q}");
  EXPECT_EQ(news[0][4], "back\\\\slash, comma");
  EXPECT_EQ(news[0][5], "SPY");
  EXPECT_EQ(news[0][6], "positive");
  EXPECT_EQ(news[0][7], "negative");
  EXPECT_EQ(news[1][6], "\\N");
  EXPECT_EQ(news[2][2], "\\N");
  EXPECT_EQ(news[0][8], std::to_string(day_.at(10)));
  EXPECT_EQ(cell("SELECT count() FROM system.tables WHERE database = '" + database_ + "' AND name LIKE 'soi_stage%'"),
            "0");
}

TEST_F(ClickHouseSinkTest, RerunReplacesTheDayWithoutDuplicatesEvenWithoutFinal) {
  auto sink = open();
  write_all(*sink);
  write_all(*sink);
  auto again = open();  // a second run: the tables exist
  write_all(*again);
  EXPECT_EQ(cell("SELECT count() FROM spy_bars"), "4");
  EXPECT_EQ(cell("SELECT count() FROM option_bars"), "4");
  EXPECT_EQ(cell("SELECT count() FROM news"), "5");
  EXPECT_EQ(cell("SELECT count() FROM option_contracts"), "3");
  EXPECT_EQ(cell("SELECT count() FROM sessions"), "1");

  test::ConsolidatedDay other;
  other.date = *parse_date("2025-01-16");
  for (auto& d : other.spy) {
    d.date = other.date;
    for (auto& b : d.bars) b.ts_ms -= 86'400'000;
  }
  sink->write(BarPartition{"spy", other.date, other.spy, 0, 0, "spy_bars"}, run_);
  std::vector<BarDay> corrected = {day_.spy[0]};
  corrected[0].bars.resize(2);
  corrected[0].bars[1].close = 600;
  sink->write(BarPartition{"spy", day_.date, corrected, day_.open_ms, day_.close_ms + 1000, "spy_bars"},
              RunInfo{"run2", 0});
  EXPECT_EQ(cell("SELECT count() FROM spy_bars WHERE date = '2025-01-17'"), "2");
  EXPECT_EQ(cell("SELECT concat(toString(close), ' ', run_id) FROM spy_bars WHERE ts = " + std::to_string(day_.at(1))),
            "600 run2");
  EXPECT_EQ(cell("SELECT count() FROM spy_bars WHERE date = '2025-01-16'"), "4");
  EXPECT_EQ(cell("SELECT close_ts FROM sessions"), std::to_string(day_.close_ms + 1000));

  // An empty partition leaves the day present and empty.
  sink->write(BarPartition{"spy", day_.date, {}, 0, 0, "spy_bars"}, run_);
  EXPECT_EQ(cell("SELECT count() FROM spy_bars WHERE date = '2025-01-17'"), "0");
  EXPECT_EQ(cell("SELECT count() FROM spy_bars"), "4");
  EXPECT_THROW(sink->write(BarPartition{"crypto", day_.date, day_.spy, 0, 0}, run_), SoiError);
}

TEST_F(ClickHouseSinkTest, MarketSecondsEqualsDuckDbsView) {
  auto sink = open();
  ConsolidatedDuckDbSink duck(dir_.string(), DuckDbSinkConfig{.layout = "tables"}, {"SPY", "QQQ"}, 1);
  write_all(*sink);
  write_all(duck);
  const std::filesystem::path path = duck.path();
  EXPECT_EQ(cell("SELECT count() FROM market_seconds"), "180");
  EXPECT_EQ(cell("SELECT vix FROM market_seconds WHERE ts = " + std::to_string(day_.at(99))), "16.5");
  EXPECT_EQ(cell("SELECT concat(toString(calls_traded), ' ', toString(call_volume), ' ', toString(put_volume)) FROM "
                 "market_seconds WHERE ts = " +
                 std::to_string(day_.at(5))),
            "2 30 7");
  expect_view_equals_duckdb(*server_, database_, path);
}

TEST_F(ClickHouseSinkTest, ANewNewsTickerAddsItsColumn) {
  open({"SPY"})->write(day_.news_partition(), run_);  // the partition names QQQ too: its column is added
  EXPECT_EQ(cell("SELECT count() FROM system.columns WHERE database = '" + database_ +
                 "' AND table = 'news' AND name = 'sentiment_qqq'"),
            "1");
  EXPECT_EQ(cell("SELECT sentiment_qqq FROM news WHERE id = 'n1'"), "negative");
}

TEST_F(ClickHouseSinkTest, WrongPasswordIsAnAuthErrorNamingTheVariableWithoutThePassword) {
  const std::string wrong = "not-the-password-1234";
  try {
    ClickHouseSink sink({endpoint(wrong)}, sql::clickhouse::Layout{database_, ""}, retry_, {});
    ADD_FAILURE() << "expected an auth error";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::auth);
    EXPECT_NE(e.message().find("SOI_CLICKHOUSE_PASSWORD"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("Code: 193"), std::string::npos) << e.message();
    EXPECT_EQ(redact(e.message()).find(wrong), std::string::npos);
    EXPECT_EQ(e.message().find(wrong), std::string::npos);
  }
}

TEST_F(ClickHouseSinkTest, ARejectedRowLeavesTheOldDayAndNoStagingTable) {
  auto sink = open();
  write_all(*sink);
  // The table now refuses bars whose close exceeds 595 (a staging table copies the
  // structure, so the INSERT fails on the server, mid-day).
  server_->query("ALTER TABLE spy_bars ADD COLUMN refuse UInt8 MATERIALIZED throwIf(close > 595)", database_);
  std::vector<BarDay> bad = {day_.spy[0]};
  bad[0].bars[0].close = 590.5;
  bad[0].bars[3].close = 700;
  try {
    sink->write(BarPartition{"spy", day_.date, bad, 0, 0, "spy_bars"}, RunInfo{"run-bad", 0});
    ADD_FAILURE() << "expected a storage error";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
    EXPECT_EQ(e.context().date, "2025-01-17");
    EXPECT_NE(e.message().find("Code: 395"), std::string::npos) << e.message();
  }
  EXPECT_EQ(cell("SELECT count() FROM spy_bars WHERE date = '2025-01-17' AND run_id = '" + run_.run_id + "'"), "4");
  EXPECT_EQ(cell("SELECT close FROM spy_bars WHERE ts = " + std::to_string(day_.at(0))), "590");
  EXPECT_EQ(cell("SELECT count() FROM system.tables WHERE database = '" + database_ + "' AND name LIKE 'soi_stage%'"),
            "0");
}

// A run killed mid-commit leaves its staging table: the next sink drops it once
// it is an hour old, and leaves a fresh one (another run's commit in flight) alone.
TEST_F(ClickHouseSinkTest, AnAbandonedStagingTableIsDroppedByTheNextRun) {
  write_all(*open());
  for (const char* name : {"soi_stage_spy_bars_killed", "soi_stage_spy_bars_in_flight"})
    server_->query(std::string("CREATE TABLE ") + name + " AS spy_bars", database_);
  // The table's metadata file dates it (system.tables.metadata_modification_time).
  const std::filesystem::path killed = server_->data_path() / "metadata" / database_ / "soi_stage_spy_bars_killed.sql";
  ASSERT_TRUE(std::filesystem::exists(killed)) << killed;
  std::filesystem::last_write_time(killed, std::filesystem::file_time_type::clock::now() - std::chrono::hours(2));
  open();
  EXPECT_EQ(cell("SELECT name FROM system.tables WHERE database = '" + database_ + "' AND name LIKE 'soi_stage%'"),
            "soi_stage_spy_bars_in_flight");
  EXPECT_EQ(cell("SELECT count() FROM spy_bars"), "4");  // the day the first run wrote
}

// Two servers, the shards of cluster soi_test.
class ClickHouseClusterTest : public ClickHouseSinkFixture {
 protected:
  static void SetUpTestSuite() { start_error_ = test::start_suite_server(cluster_); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override { prepare(start_error_); }
  std::unique_ptr<ClickHouseSink> open() {
    std::vector<ClickHouseEndpoint> shards;
    for (std::size_t i = 0; i < cluster_->size(); ++i)
      shards.push_back(endpoint(cluster_->shard(i), cluster_->shard(i).password()));
    return std::make_unique<ClickHouseSink>(std::move(shards),
                                            sql::clickhouse::Layout{database_, test::kClickHouseCluster}, retry_,
                                            std::vector<std::string>{"SPY", "QQQ"});
  }
  std::string cell(std::size_t shard, const std::string& sql) const {
    return ClickHouseSinkFixture::cell(cluster_->shard(shard), database_, sql);
  }

  static test::ClickHouseCluster* cluster_;
  static std::string start_error_;
};

test::ClickHouseCluster* ClickHouseClusterTest::cluster_ = nullptr;
std::string ClickHouseClusterTest::start_error_;

TEST_F(ClickHouseClusterTest, RowsLandOnBothShardsAndTheDistributedTablesAnswerWithTheTruth) {
  auto sink = open();
  write_all(*sink);
  write_all(*sink);  // a rerun replaces the day on every shard
  const auto r = sink->write(day_.options_partition(), run_);
  EXPECT_EQ(r.location, "cluster soi_test (2 shards)/" + database_ + ".option_bars");
  // The option and contract tickers spread over both shards, a ticker's rows on one.
  std::uint64_t local_total = 0;
  for (std::size_t s = 0; s < 2; ++s) {
    const std::string n = cell(s, "SELECT count() FROM option_contracts_local");
    EXPECT_NE(n, "0") << "shard " << s;
    local_total += std::stoull(n);
    EXPECT_EQ(cell(s, "SELECT count() FROM sessions"), "1");  // every shard holds the sessions
  }
  EXPECT_EQ(local_total, 3u);
  for (std::size_t s = 0; s < 2; ++s) {
    EXPECT_EQ(cell(s, "SELECT count() FROM spy_bars"), "4");
    EXPECT_EQ(cell(s, "SELECT count() FROM vix_bars"), "3");
    EXPECT_EQ(cell(s, "SELECT count() FROM option_bars"), "4");
    EXPECT_EQ(cell(s, "SELECT count() FROM option_contracts"), "3");
    EXPECT_EQ(cell(s, "SELECT count() FROM news"), "5");
    EXPECT_EQ(cell(s, "SELECT sum(volume) FROM option_bars"), "40");
    EXPECT_EQ(cell(s, "SELECT uniqExact(ticker) FROM option_bars"), "3");
  }
  EXPECT_EQ(cell(0, "SELECT engine FROM system.tables WHERE database = '" + database_ + "' AND name = 'option_bars'"),
            "Distributed");
}

TEST_F(ClickHouseClusterTest, MarketSecondsOnTheClusterEqualsDuckDbsView) {
  auto sink = open();
  ConsolidatedDuckDbSink duck(dir_.string(), DuckDbSinkConfig{.layout = "tables"}, {"SPY", "QQQ"}, 1);
  write_all(*sink);
  write_all(duck);
  const std::filesystem::path path = duck.path();
  expect_view_equals_duckdb(cluster_->shard(0), database_, path);
  expect_view_equals_duckdb(cluster_->shard(1), database_, path);
}

// Last in the suite (Z): it stops a shard.
TEST_F(ClickHouseClusterTest, ZAShardDownFailsTheDayInThisSinkOnlyAsStorage) {
  auto sink = open();
  write_all(*sink);
  auto duck = std::make_unique<ConsolidatedDuckDbSink>(dir_.string(), DuckDbSinkConfig{.layout = "tables"},
                                                       std::vector<std::string>{"SPY", "QQQ"}, 1);
  const std::filesystem::path path = duck->path();
  SinkSet sinks;
  sinks.add(std::move(duck));
  sinks.add(std::move(sink));
  cluster_->shard(1).kill();
  const SinkSetResult result = sinks.write(day_.options_partition(), RunInfo{"run-down", 0});
  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_EQ(result.failed_sinks[0], "clickhouse");
  EXPECT_EQ(result.failures[0].category(), ErrorCategory::storage);
  EXPECT_EQ(result.failures[0].context().date, "2025-01-17");
  EXPECT_NE(result.failures[0].message().find(cluster_->shard(1).url()), std::string::npos)
      << result.failures[0].message();
  ASSERT_EQ(result.written.size(), 1u);
  EXPECT_EQ(result.written[0].sink, "duckdb");
  // Staging failed on the shard that is down: the one that is up kept the previous
  // run's rows and no staging table.
  EXPECT_EQ(cell(0, "SELECT count() FROM system.tables WHERE database = '" + database_ + "' AND name LIKE 'soi_stage%'"),
            "0");
  EXPECT_EQ(cell(0, "SELECT count() FROM option_bars_local WHERE run_id = 'run-down'"), "0");
  EXPECT_NE(cell(0, "SELECT count() FROM option_bars_local WHERE run_id = '" + run_.run_id + "'"), "0");
  DuckDbSession written(path.string(), 1, true);
  EXPECT_EQ(written.query_int("SELECT count(*) FROM option_bars WHERE run_id = 'run-down'"), 4);
}

}  // namespace
}  // namespace soi
