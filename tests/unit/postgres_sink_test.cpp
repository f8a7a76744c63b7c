// PostgresSink against a real, throw-away PostgreSQL server (tests/support/postgres_server.hpp).
#include "sinks/postgres/postgres_sink.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "support/consolidated_fixture.hpp"
#include "support/suite_server.hpp"
#include "support/postgres_server.hpp"
#include "sinks/sql/consolidated_schema.hpp"
#include "utils/error.hpp"
#include "utils/redact.hpp"

namespace soi {
namespace {

using Rows = std::vector<std::vector<std::string>>;

class PostgresSinkTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { start_error_ = test::start_suite_server(server_); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(start_error_.empty()) << start_error_;
    // One schema per test: tests do not see each other's rows.
    config_.schema = "t_" + test::current_test_slug(61);  // PostgreSQL names are at most 63 bytes
    config_.connect_timeout_seconds = 5;
    retry_.max_attempts = 3;
    retry_.initial_backoff_ms = 10;
    retry_.max_backoff_ms = 50;
    retry_.jitter = 0;
  }

  std::unique_ptr<PostgresSink> open(std::vector<std::string> tickers = {"SPY", "QQQ"}) {
    return std::make_unique<PostgresSink>(server_->url(), config_, retry_, std::move(tickers));
  }
  Rows q(const std::string& sql) const {
    return server_->query("SET search_path TO " + config_.schema + "; SET TimeZone = 'UTC'; " + sql);
  }
  std::string cell(const std::string& sql) const {
    const Rows rows = q(sql);
    return rows.empty() || rows[0].empty() ? "<no row>" : rows[0][0];
  }
  void write_all(Sink& sink) { day_.write_to(sink, run_); }

  static test::PostgresServer* server_;
  static std::string start_error_;
  PostgresSinkConfig config_;
  RetryPolicy retry_;
  test::ConsolidatedDay day_;
  RunInfo run_{"20250117T101502Z-3f9a", 0};
};

test::PostgresServer* PostgresSinkTest::server_ = nullptr;
std::string PostgresSinkTest::start_error_;

TEST(PostgresCopyFormatTest, EscapesFieldsAndArrays) {
  EXPECT_EQ(pg_copy_escape("a\tb\nc\\d\re"), "a\\tb\\nc\\\\d\\re");
  EXPECT_EQ(pg_array_literal({}), "{}");
  EXPECT_EQ(pg_array_literal({"SPY", "a\"b", "c\\d", "x,y"}), "{\"SPY\",\"a\\\"b\",\"c\\\\d\",\"x,y\"}");
}

TEST_F(PostgresSinkTest, CreatesTablesWithPrimaryKeysAndLoadsEveryFeed) {
  auto sink = open();
  const auto r = sink->write(day_.spy_partition(), run_);
  EXPECT_EQ(r.sink, "postgres");
  EXPECT_EQ(r.rows, 4u);
  EXPECT_EQ(r.location, "127.0.0.1:" + std::to_string(server_->port()) + "/soi_test:" + config_.schema + ".spy_bars");
  EXPECT_EQ(sink->write(day_.vix_partition(), run_).rows, 3u);
  EXPECT_EQ(sink->write(day_.options_partition(), run_).rows, 4u);
  EXPECT_EQ(sink->write(day_.contracts_partition(), run_).rows, 3u);
  EXPECT_EQ(sink->write(day_.news_partition(), run_).rows, 5u);

  for (const auto& [table, pk] : std::vector<std::pair<std::string, std::string>>{
           {"spy_bars", "ticker,ts"}, {"vix_bars", "ticker,ts"}, {"option_bars", "ticker,ts"},
           {"option_contracts", "date,ticker"}, {"news", "id"}, {"sessions", "date"}, {"schema_version", "version"}})
    EXPECT_EQ(cell("SELECT string_agg(a.attname, ',' ORDER BY array_position(i.indkey, a.attnum)) FROM pg_index i "
                   "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                   "WHERE i.indisprimary AND i.indrelid = '" +
                   config_.schema + "." + table + "'::regclass"),
              pk)
        << table;

  const Rows spy = q("SELECT date, ticker, ts, close, volume, vwap, transactions, origin, run_id FROM spy_bars ORDER BY ts");
  ASSERT_EQ(spy.size(), 4u);
  EXPECT_EQ(spy[0][0], "2025-01-17");
  EXPECT_EQ(spy[0][2], "2025-01-17 14:30:00+00");
  EXPECT_EQ(spy[2][3], "592.125");
  EXPECT_EQ(spy[0][6], "100");
  EXPECT_EQ(spy[3][6], "\\N");  // transactions not carried -> NULL
  EXPECT_EQ(spy[0][8], run_.run_id);
  EXPECT_EQ(cell("SELECT count(*) FROM vix_bars WHERE volume IS NULL AND vwap IS NULL AND transactions IS NULL"), "3");
  EXPECT_EQ(cell("SELECT underlying || ' ' || contract_type || ' ' || strike || ' ' || expiration FROM option_bars "
                 "WHERE ticker = 'O:SPY250117P00589000' AND ts = '2025-01-17 14:30:06Z'"),
            "SPY put 589 2025-01-17");
  EXPECT_EQ(cell("SELECT open_ts || ' ' || close_ts FROM sessions"), "2025-01-17 14:30:00+00 2025-01-17 14:33:00+00");
  EXPECT_EQ(cell("SELECT count(*) FROM option_contracts WHERE underlying_open = 590 AND strike_low = 584.1 AND "
                 "exercise_style IS NOT NULL"),
            "2");
  const Rows news = q(
      "SELECT title, description, author, tickers[2], keywords[2], insights->0->>'ticker', sentiment_spy, "
      "sentiment_qqq, published_utc FROM news ORDER BY id");
  ASSERT_EQ(news.size(), 5u);
  EXPECT_EQ(news[0][0], day_.news[0].title);  // tab, quote, backslash, apostrophe survive COPY
  EXPECT_EQ(news[0][1], "line one\nline two");
  EXPECT_EQ(news[0][3], "Q\"Q{Q}");
  EXPECT_EQ(news[0][4], "back\\slash, comma");
  EXPECT_EQ(news[0][5], "SPY");
  EXPECT_EQ(news[0][6], "positive");
  EXPECT_EQ(news[0][7], "negative");
  EXPECT_EQ(news[1][6], "\\N");
  EXPECT_EQ(news[2][2], "\\N");
  EXPECT_EQ(news[2][6], "positive");
  EXPECT_EQ(news[0][8], "2025-01-17 14:30:10+00");
}

TEST_F(PostgresSinkTest, RerunUpsertsAndReplacesTheDay) {
  auto sink = open();
  write_all(*sink);
  write_all(*sink);
  EXPECT_EQ(cell("SELECT count(*) FROM spy_bars"), "4");
  EXPECT_EQ(cell("SELECT count(*) FROM option_bars"), "4");
  EXPECT_EQ(cell("SELECT count(*) FROM news"), "5");
  EXPECT_EQ(cell("SELECT count(*) FROM option_contracts"), "3");

  test::ConsolidatedDay other;
  other.date = *parse_date("2025-01-16");
  for (auto& d : other.spy)
    for (auto& b : d.bars) b.ts_ms -= 86'400'000;
  sink->write(BarPartition{"spy", other.date, other.spy, 0, 0, "spy_bars"}, run_);
  std::vector<BarDay> corrected = {day_.spy[0]};
  corrected[0].bars.resize(2);
  corrected[0].bars[1].close = 600;
  sink->write(BarPartition{"spy", day_.date, corrected, day_.open_ms, day_.close_ms + 1000, "spy_bars"}, RunInfo{"run2", 0});
  EXPECT_EQ(cell("SELECT count(*) FROM spy_bars WHERE date = '2025-01-17'"), "2");
  EXPECT_EQ(cell("SELECT close || ' ' || run_id FROM spy_bars WHERE ts = '2025-01-17 14:30:01Z'"), "600 run2");
  EXPECT_EQ(cell("SELECT count(*) FROM spy_bars WHERE date = '2025-01-16'"), "4");
  EXPECT_EQ(cell("SELECT close_ts FROM sessions"), "2025-01-17 14:33:01+00");  // session bounds upserted

  // A failing write (two rows with one key) rolls back: the day stays as it was.
  std::vector<BarDay> twice = {day_.spy[0], day_.spy[0]};
  try {
    sink->write(BarPartition{"spy", day_.date, twice, 0, 0, "spy_bars"}, run_);
    ADD_FAILURE() << "expected an error";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
    EXPECT_EQ(e.context().date, "2025-01-17");
  }
  EXPECT_EQ(cell("SELECT count(*) FROM spy_bars WHERE date = '2025-01-17'"), "2");
  EXPECT_THROW(sink->write(BarPartition{"crypto", day_.date, day_.spy, 0, 0}, run_), SoiError);
}

TEST_F(PostgresSinkTest, ViewGivesOneRowPerSessionSecond) {
  auto sink = open();
  write_all(*sink);
  const Rows rows = q("SELECT " +
                      [] {
                        std::string cols;
                        for (const auto& c : sql::view_columns()) cols += (cols.empty() ? "" : ", ") + c;
                        return cols;
                      }() +
                      " FROM market_seconds ORDER BY ts");
  ASSERT_EQ(rows.size(), 180u);
  const auto names = sql::view_columns();
  const auto v = [&](int second, const std::string& name) {
    return rows[static_cast<std::size_t>(second)]
               [static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin())];
  };
  EXPECT_EQ(v(0, "ts"), "2025-01-17 14:30:00+00");
  EXPECT_EQ(v(179, "ts"), "2025-01-17 14:32:59+00");
  EXPECT_EQ(v(5, "spy_close"), "592.125");
  EXPECT_EQ(v(5, "spy_transactions"), "120");
  EXPECT_EQ(v(2, "spy_close"), "\\N");
  EXPECT_EQ(v(0, "vix"), "15.5");
  EXPECT_EQ(v(2, "vix"), "15.5");
  EXPECT_EQ(v(3, "vix"), "16.5");
  EXPECT_EQ(v(99, "vix"), "16.5");
  EXPECT_EQ(v(100, "vix"), "17");
  EXPECT_EQ(v(5, "calls_traded"), "2");
  EXPECT_EQ(v(5, "call_volume"), "30");
  EXPECT_EQ(v(5, "puts_traded"), "1");
  EXPECT_EQ(v(5, "put_volume"), "7");
  EXPECT_EQ(v(6, "calls_traded"), "0");
  EXPECT_EQ(v(6, "call_volume"), "0");
  EXPECT_EQ(v(6, "put_volume"), "3");
  EXPECT_EQ(v(30, "news_count"), "2");
  EXPECT_EQ(v(30, "news_sentiment"), "1");
  EXPECT_EQ(v(60, "news_count"), "3");
  EXPECT_EQ(v(60, "news_sentiment"), "0");
  EXPECT_EQ(v(120, "news_count"), "0");
  EXPECT_EQ(v(120, "news_sentiment"), "\\N");
  EXPECT_EQ(cell("SELECT count(*) FROM market_seconds WHERE date = '2025-01-17'"), "180");
}

TEST_F(PostgresSinkTest, NewTickerIsAMigration) {
  { auto sink = open({"SPY"}); }
  auto sink = open({"QQQ", "SPY"});
  write_all(*sink);
  EXPECT_EQ(cell("SELECT string_agg(version || ':' || description, ',' ORDER BY version) FROM schema_version"),
            "1:base tables,2:add news.sentiment_spy,3:add news.sentiment_qqq");
  // QQQ first now: minute 0 has n1 negative and n2 neutral.
  EXPECT_EQ(cell("SELECT news_sentiment FROM market_seconds WHERE ts = '2025-01-17 14:30:00Z'"), "-0.5");
  std::vector<std::string> tickers = {"NVDA"};
  std::vector<NewsArticle> one = {day_.news[0]};
  one[0].id = "n9";
  one[0].insights.push_back({"NVDA", "neutral", "x"});
  sink->write(NewsPartition{*parse_date("2025-01-16"), one, tickers}, run_);
  EXPECT_EQ(cell("SELECT sentiment_nvda FROM news WHERE id = 'n9'"), "neutral");
  EXPECT_EQ(cell("SELECT max(version) FROM schema_version"), "4");
}

TEST_F(PostgresSinkTest, WrongPasswordIsAClearAuthErrorWithoutThePassword) {
  const std::string wrong = "WrongPassw0rd-xyz123";
  try {
    PostgresSink sink(server_->url_with_password(wrong), config_, retry_, {"SPY"});
    FAIL() << "expected an error";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::auth);
    const std::string what = e.what();
    EXPECT_NE(what.find("PostgreSQL authentication failed for user soi_test"), std::string::npos) << what;
    EXPECT_NE(what.find("127.0.0.1:" + std::to_string(server_->port())), std::string::npos) << what;
    EXPECT_EQ(what.find(wrong), std::string::npos) << what;
    EXPECT_EQ(what.find(server_->password()), std::string::npos) << what;
  }
  // The password was registered for redaction.
  EXPECT_EQ(redact("x " + wrong).find(wrong), std::string::npos);
}

TEST_F(PostgresSinkTest, UnparsableConnectionStringIsAConfigError) {
  try {
    PostgresSink sink("postgresql://soi:se cret@[bad", config_, retry_, {});
    FAIL() << "expected an error";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::config);
    EXPECT_NE(std::string(e.what()).find("SOI_POSTGRES_URL"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("se cret"), std::string::npos) << e.what();
  }
}

// A full regular session of SPY at one bar a second (23,400 rows, several MiB
// of COPY text). Values vary in every field, with transactions not carried on
// every 7th bar, so that a row lost, repeated or cut at a chunk boundary shows.
std::vector<BarDay> session_of_bars(const test::ConsolidatedDay& day, double base) {
  BarDay d;
  d.feed = "spy";
  d.ticker = "SPY";
  d.date = day.date;
  for (int i = 0; i < 23'400; ++i) {
    Bar b = test::ConsolidatedDay::bar(day.at(i), base + i * 0.001 + (i % 13) / 97.0, 1000 + i,
                                       i % 7 ? kBarFullFields : kBarHasVolume | kBarHasVwap);
    b.vwap = b.close - (i % 5) / 8.0;
    d.bars.push_back(b);
  }
  return {d};
}

// Every row of the day's rows as stored equals the input bar, in order.
void expect_session_stored(const Rows& rows, const std::vector<BarDay>& input) {
  const std::vector<Bar>& bars = input.at(0).bars;
  ASSERT_EQ(rows.size(), bars.size());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const std::vector<std::string>& r = rows[i];
    const std::string transactions = b.fields & kBarHasTransactions ? std::to_string(b.transactions) : "\\N";
    const bool equal = r[0] == "SPY" && std::stoll(r[1]) == b.ts_ms && std::stod(r[2]) == b.open &&
                       std::stod(r[3]) == b.high && std::stod(r[4]) == b.low && std::stod(r[5]) == b.close &&
                       std::stod(r[6]) == b.volume && std::stod(r[7]) == b.vwap && r[8] == transactions;
    if (!equal && ++mismatches <= 3) ADD_FAILURE() << "row " << i << " differs from its bar (ts " << b.ts_ms << ")";
  }
  EXPECT_EQ(mismatches, 0u);
}

// The sink streams COPY data in 1 MiB chunks: a day several chunks long arrives
// whole, row for row.
TEST_F(PostgresSinkTest, ADayLargerThanOneCopyChunkArrivesWhole) {
  auto sink = open();
  const std::vector<BarDay> input = session_of_bars(day_, 590);
  const auto r = sink->write(BarPartition{"spy", day_.date, input, day_.open_ms, day_.open_ms + 23'400'000LL, "spy_bars"},
                             run_);
  EXPECT_EQ(r.rows, 23'400u);
  // The rows' text is what COPY carried: several chunks of 1 MiB.
  EXPECT_GT(std::stoll(cell("SELECT sum(length(CAST(t AS text))) FROM spy_bars AS t")), 3LL << 20);
  expect_session_stored(q("SELECT ticker, CAST(extract(epoch FROM ts) * 1000 AS bigint), open, high, low, close, "
                          "volume, vwap, transactions FROM spy_bars WHERE date = '2025-01-17' ORDER BY ts"),
                        input);
}

// The connection drops in the middle of a COPY: the transaction is lost with
// it, the sink reconnects and writes the day again, and the day lands once and
// whole. The drop is made deterministic by a gate on the server: a column
// added to spy_bars whose default takes an advisory lock the test holds. The
// sink's staging table copies the default (LIKE ... INCLUDING DEFAULTS) and
// COPY evaluates it on the first row, so the sink's backend waits inside the
// COPY until the test terminates it (pg_terminate_backend) and opens the gate.
TEST_F(PostgresSinkTest, AConnectionDroppedMidCopyIsRetriedAndTheDayLandsOnceAndWhole) {
  constexpr int kGate = 7301;
  auto sink = open();
  std::vector<BarDay> previous = session_of_bars(day_, 500);
  previous[0].bars.resize(10'000);
  const std::int64_t close_ms = day_.open_ms + 23'400'000LL;
  sink->write(BarPartition{"spy", day_.date, previous, day_.open_ms, close_ms, "spy_bars"}, run_);
  const std::string rows_of_day = "SELECT count(*) FROM spy_bars WHERE date = '2025-01-17'";
  ASSERT_EQ(cell(rows_of_day), "10000");
  q("CREATE FUNCTION pass_gate() RETURNS integer LANGUAGE plpgsql VOLATILE AS "
    "$$ BEGIN PERFORM pg_advisory_xact_lock_shared(" + std::to_string(kGate) + "); RETURN 1; END $$; "
    "ALTER TABLE spy_bars ADD COLUMN gate integer DEFAULT pass_gate()");

  // The gate's lock, held on a connection of the test's own.
  PGconn* holder = PQconnectdb(server_->url().c_str());
  ASSERT_EQ(PQstatus(holder), CONNECTION_OK) << PQerrorMessage(holder);
  const auto holder_exec = [&](const std::string& sql) {
    PGresult* r = PQexec(holder, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    return ok;
  };
  ASSERT_TRUE(holder_exec("SELECT pg_advisory_lock(" + std::to_string(kGate) + ")"));

  const std::vector<BarDay> input = session_of_bars(day_, 590);
  auto write = std::async(std::launch::async, [&] {
    return sink->write(BarPartition{"spy", day_.date, input, day_.open_ms, close_ms, "spy_bars"}, RunInfo{"run2", 0});
  });
  // The sink's backend, waiting at the gate inside its COPY.
  const std::string waiting_in_copy =
      "SELECT pid FROM pg_stat_activity WHERE datname = 'soi_test' AND application_name = 'soi' AND "
      "wait_event_type = 'Lock' AND wait_event = 'advisory' AND query LIKE 'COPY soi_stage %'";
  std::string pid;
  for (const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
       pid.empty() && std::chrono::steady_clock::now() < deadline;) {
    const Rows rows = q(waiting_in_copy);
    if (rows.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    else pid = rows[0][0];
  }
  if (pid.empty()) {
    holder_exec("SELECT pg_advisory_unlock_all()");
    PQfinish(holder);
    write.wait();
    FAIL() << "the sink's COPY never reached the gate";
  }
  // Mid-write, readers still see the previous day.
  EXPECT_EQ(cell(rows_of_day), "10000");
  EXPECT_EQ(cell("SELECT run_id FROM spy_bars LIMIT 1"), run_.run_id);

  EXPECT_EQ(cell("SELECT pg_terminate_backend(" + pid + ")"), "t");
  holder_exec("SELECT pg_advisory_unlock_all()");
  PQfinish(holder);

  PartitionWriteResult result;
  ASSERT_NO_THROW(result = write.get());
  EXPECT_EQ(result.rows, 23'400u);
  EXPECT_NE(cell("SELECT pid FROM pg_stat_activity WHERE datname = 'soi_test' AND application_name = 'soi'"), pid)
      << "the day was written on a new connection";
  EXPECT_EQ(cell(rows_of_day), "23400");
  EXPECT_EQ(cell("SELECT string_agg(DISTINCT run_id, ',') FROM spy_bars"), "run2");
  expect_session_stored(q("SELECT ticker, CAST(extract(epoch FROM ts) * 1000 AS bigint), open, high, low, close, "
                          "volume, vwap, transactions FROM spy_bars WHERE date = '2025-01-17' ORDER BY ts"),
                        input);
}

// Last: stops the shared server.
TEST_F(PostgresSinkTest, ZServerDownIsAStorageErrorAfterRetries) {
  auto sink = open();
  server_->stop();
  const auto started = std::chrono::steady_clock::now();
  try {
    sink->write(day_.spy_partition(), run_);
    FAIL() << "expected an error";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
    const std::string what = e.what();
    EXPECT_NE(what.find("cannot connect to PostgreSQL at 127.0.0.1:" + std::to_string(server_->port())),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("3 attempts"), std::string::npos) << what;
    EXPECT_EQ(e.context().date, "2025-01-17");
    EXPECT_EQ(what.find(server_->password()), std::string::npos) << what;
  }
  try {
    open();
    FAIL() << "expected an error";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
    EXPECT_NE(std::string(e.what()).find("cannot connect to PostgreSQL at 127.0.0.1"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

}  // namespace
}  // namespace soi
