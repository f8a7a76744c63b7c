// The real soi binary loading every feed into a real ClickHouse server that the
// test starts (tests/support/clickhouse_server.hpp) and stops: row counts and
// values equal the Parquet files, a rerun replaces the day without duplicates
// (no FINAL needed), a streamed day reaches it through the commits, the
// password never appears anywhere, and a refused password is an auth failure
// naming the variable.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/clickhouse_server.hpp"
#include "support/process.hpp"
#include "support/stream_fixture.hpp"

namespace soi::it {
namespace {

namespace fs = std::filesystem;

constexpr const char* kKey = "FAKEKEY-ch-test-0123456789abcdef";
constexpr const char* kDay = "2025-01-17";

class ClickHouseTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { start_error_ = test::start_suite_server(server_); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(start_error_.empty()) << start_error_;
    database_ = "it_" + test::current_test_slug(40);
  }

  Env env(const std::string& password) const {
    return {{"MASSIVE_API_KEY", kKey},
            {"SOI_SINKS_CLICKHOUSE_ENABLED", "true"},
            {"SOI_SINKS_CLICKHOUSE_URL", server_->url()},
            {"SOI_SINKS_CLICKHOUSE_USER", test::kClickHouseUser},
            {"SOI_SINKS_CLICKHOUSE_DATABASE", database_},
            {"SOI_CLICKHOUSE_PASSWORD", password},
            {"SOI_RETRY_POLICY_INITIAL_BACKOFF_MS", "20"},
            {"SOI_RETRY_POLICY_MAX_BACKOFF_MS", "100"}};
  }
  ProcessResult backfill(const SimulatorProcess& sim, const std::string& password, const std::string& source = "all") {
    return run_soi({"--config", config_dir(), "backfill", "--source", source, "--from", kDay, "--base-url",
                    sim.base_url(), "--json"},
                   env(password), work_.path());
  }
  std::string ch(const std::string& sql) const {
    std::string out = server_->query(sql, database_);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  static std::string parquet_scalar(const fs::path& data, const std::string& feed, const std::string& expr) {
    return duckdb_scalar("SELECT " + expr + " FROM read_parquet('" + (data / "raw" / feed / "*/*.parquet").string() +
                         "')");
  }

  static test::ClickHouseServer* server_;
  static std::string start_error_;
  std::string database_;
  TempDir work_;
};

test::ClickHouseServer* ClickHouseTest::server_ = nullptr;
std::string ClickHouseTest::start_error_;

const std::pair<const char*, const char*> kTables[] = {{"spy_bars", "spy"},
                                                      {"vix_bars", "vix"},
                                                      {"option_bars", "options"},
                                                      {"option_contracts", "options_contracts"},
                                                      {"news", "news"}};

TEST_F(ClickHouseTest, EveryFeedEqualsTheParquetFilesAndARerunLeavesNoDuplicates) {
  SimulatorProcess sim;
  auto r = backfill(sim, server_->password());
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const fs::path data = work_.path() / "data";

  std::vector<std::string> counts;
  for (const auto& [table, feed] : kTables) {
    counts.push_back(ch(std::string("SELECT count() FROM ") + table));
    EXPECT_EQ(counts.back(), parquet_scalar(data, feed, "count(*)")) << table;
  }
  EXPECT_GT(std::stoll(counts[2]), 0);
  // Values, not only counts: sums over every numeric column and the timestamps.
  for (const char* feed : {"spy", "vix", "options"}) {
    const std::string table = std::string(feed == std::string("options") ? "option" : feed) + "_bars";
    EXPECT_NEAR(std::stod(ch("SELECT sum(open + high + low + close) FROM " + table)),
                std::stod(parquet_scalar(data, feed, "sum(open + high + low + close)")), 1e-6)
        << table;
    EXPECT_EQ(ch("SELECT sum(ts) FROM " + table), parquet_scalar(data, feed, "sum(epoch_ms(ts))::BIGINT")) << table;
    EXPECT_EQ(ch("SELECT sum(ifNull(transactions, 0)) FROM " + table),
              parquet_scalar(data, feed, "coalesce(sum(transactions), 0)"))
        << table;
  }
  EXPECT_EQ(ch("SELECT sum(length(title)) FROM news"), parquet_scalar(data, "news", "sum(strlen(title))"));
  const std::string first_run = ch("SELECT max(run_id) FROM option_bars");

  // Rerun: the same rows, replaced (a new run_id), no duplicate keys without FINAL.
  r = backfill(sim, server_->password());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (std::size_t i = 0; i < std::size(kTables); ++i)
    EXPECT_EQ(ch(std::string("SELECT count() FROM ") + kTables[i].first), counts[i]) << kTables[i].first;
  EXPECT_NE(ch("SELECT max(run_id) FROM option_bars"), first_run);
  EXPECT_EQ(ch("SELECT count() - uniqExact(ticker, ts) FROM option_bars"), "0");
  EXPECT_EQ(ch("SELECT count() - uniqExact(ticker, ts) FROM spy_bars"), "0");

  // The view, against DuckDB's built in the same run.
  EXPECT_EQ(ch("SELECT count() FROM market_seconds"), "23400");
  EXPECT_EQ(ch("SELECT countIf(spy_close IS NOT NULL) FROM market_seconds"), counts[0]);
  const std::string db = (data / "processed/consolidated/market.duckdb").string();
  EXPECT_NEAR(std::stod(ch("SELECT sum(vix) FROM market_seconds")),
              std::stod(duckdb_scalar("ATTACH '" + db + "' AS m (READ_ONLY); SELECT sum(vix) FROM m.market_seconds")),
              1e-6);
  for (const char* sum : {"sum(calls_traded + puts_traded)", "sum(news_count)", "count(vix)", "count(spy_volume)"})
    EXPECT_EQ(ch(std::string("SELECT ") + sum + " FROM market_seconds"),
              duckdb_scalar("ATTACH '" + db + "' AS m (READ_ONLY); SELECT " + sum + " FROM m.market_seconds"))
        << sum;
  for (const char* sum : {"sum(call_volume + put_volume)", "sum(spy_close)", "sum(news_sentiment)"})
    EXPECT_NEAR(std::stod(ch(std::string("SELECT ") + sum + " FROM market_seconds")),
                std::stod(duckdb_scalar("ATTACH '" + db + "' AS m (READ_ONLY); SELECT coalesce(" + sum +
                                        ", 0) FROM m.market_seconds")),
                1e-6)
        << sum;

  const std::string& password = server_->password();
  EXPECT_EQ(r.out.find(password), std::string::npos);
  EXPECT_EQ(r.err.find(password), std::string::npos);
  const auto leaks = files_containing(work_.path(), password);
  EXPECT_TRUE(leaks.empty()) << leaks.front();
}

TEST_F(ClickHouseTest, StreamedCommitsReachClickHouse) {
  SimulatorProcess sim(sim_args(kBeforeOpen, "0"));
  const fs::path data = work_.path() / "data";
  Env extra = env(server_->password());
  extra.erase("MASSIVE_API_KEY");  // the stream's own key
  const ProcessResult r = run_stream(sim, data, extra);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  for (const char* feed : {"spy", "vix", "options"}) {
    const std::string table = std::string(feed == std::string("options") ? "option" : feed) + "_bars";
    EXPECT_EQ(ch("SELECT count() FROM " + table), std::to_string(feed_rows(data, feed))) << table;
  }
  EXPECT_EQ(ch("SELECT count() - uniqExact(ticker, ts) FROM option_bars"), "0");
  EXPECT_EQ(ch("SELECT count() FROM sessions"), "1");
}

TEST_F(ClickHouseTest, WrongPasswordIsAnAuthFailureNamingTheVariable) {
  SimulatorProcess sim;
  const std::string wrong = "wrong-password-4711";
  auto r = backfill(sim, wrong, "spy");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("SOI_CLICKHOUSE_PASSWORD"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("auth"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(wrong), std::string::npos) << r.err;
  EXPECT_TRUE(files_containing(work_.path(), wrong).empty());
}

TEST_F(ClickHouseTest, APasswordInTheYamlIsRefused) {
  const fs::path config = work_.path() / "config";
  fs::copy(config_dir(), config, fs::copy_options::recursive);
  // A password key inside the clickhouse section.
  std::ifstream in(config / "sinks.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  const std::string anchor = "clickhouse:\n";
  text.insert(text.find(anchor) + anchor.size(), "  password: hunter2-in-yaml\n");
  std::ofstream(config / "sinks.yaml") << text;
  auto r = run_soi({"--config", config.string(), "config", "show"}, env(server_->password()), work_.path());
  EXPECT_EQ(r.exit_code, 2) << r.err << r.out;
  EXPECT_NE(r.err.find("SOI_CLICKHOUSE_PASSWORD"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("hunter2-in-yaml"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace soi::it
