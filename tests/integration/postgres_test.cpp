// The real soi binary loading every feed into a real PostgreSQL 15 server that
// the test starts (initdb into a temp dir, a free loopback port) and stops:
// row counts equal the Parquet files, a rerun upserts instead of duplicating,
// the per-second view answers, the password never appears anywhere, and a
// server that is down or refuses the password is a clear run-time error.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/postgres_server.hpp"
#include "support/process.hpp"

namespace soi::it {
namespace {

namespace fs = std::filesystem;

constexpr const char* kKey = "FAKEKEY-pg-test-0123456789abcdef";
constexpr const char* kDay = "2025-01-17";

class PostgresTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new test::PostgresServer();
    server_->start();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  Env env(const std::string& url) const {
    return {{"MASSIVE_API_KEY", kKey},
            {"SOI_SINKS_POSTGRES_ENABLED", "true"},
            {"SOI_POSTGRES_URL", url},
            {"SOI_RETRY_POLICY_INITIAL_BACKOFF_MS", "20"},
            {"SOI_RETRY_POLICY_MAX_BACKOFF_MS", "100"}};
  }
  ProcessResult backfill(const SimulatorProcess& sim, const std::string& url, const std::string& source = "all") {
    return run_soi({"--config", config_dir(), "backfill", "--source", source, "--from", kDay, "--base-url",
                    sim.base_url(), "--json"},
                   env(url), work_.path());
  }
  std::string pg(const std::string& sql) const { return server_->query(sql).at(0).at(0); }
  std::string parquet_count(const std::string& feed) const {
    return duckdb_scalar("SELECT count(*) FROM read_parquet('" +
                         (work_.path() / "data/raw" / feed / "*/*.parquet").string() + "')");
  }

  static test::PostgresServer* server_;
  TempDir work_;
};

test::PostgresServer* PostgresTest::server_ = nullptr;

TEST_F(PostgresTest, EveryFeedIsLoadedAndARerunUpsertsWithoutDuplicates) {
  SimulatorProcess sim;
  auto r = backfill(sim, server_->url());
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;

  const std::pair<const char*, const char*> tables[] = {{"spy_bars", "spy"},
                                                        {"vix_bars", "vix"},
                                                        {"option_bars", "options"},
                                                        {"option_contracts", "options_contracts"},
                                                        {"news", "news"}};
  std::vector<std::string> counts;
  for (const auto& [table, feed] : tables) {
    counts.push_back(pg(std::string("SELECT count(*) FROM soi.") + table));
    EXPECT_EQ(counts.back(), parquet_count(feed)) << table;
  }
  EXPECT_GT(std::stoll(counts[2]), 0);
  const std::string first_run = pg("SELECT max(run_id) FROM soi.option_bars");

  // Rerun: the same rows, replaced (new run_id), no duplicate keys.
  r = backfill(sim, server_->url());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (std::size_t i = 0; i < std::size(tables); ++i)
    EXPECT_EQ(pg(std::string("SELECT count(*) FROM soi.") + tables[i].first), counts[i]) << tables[i].first;
  EXPECT_NE(pg("SELECT max(run_id) FROM soi.option_bars"), first_run);
  EXPECT_EQ(pg("SELECT count(*) - count(DISTINCT (ticker, ts)) FROM soi.option_bars"), "0");
  EXPECT_EQ(pg("SELECT count(*) - count(DISTINCT (ticker, ts)) FROM soi.spy_bars"), "0");
  EXPECT_EQ(pg("SELECT count(*) FROM soi.option_contracts WHERE strike < strike_low OR strike > strike_high"), "0");

  // The consolidated view: one row per session second; SPY columns match the table; the
  // DuckDB database built in the same run agrees with PostgreSQL on the options totals.
  EXPECT_EQ(pg("SELECT count(*) FROM soi.market_seconds"), "23400");
  EXPECT_EQ(pg("SELECT count(*) FROM soi.market_seconds WHERE spy_close IS NOT NULL"), counts[0]);
  EXPECT_EQ(pg("SELECT sum(calls_traded + puts_traded) FROM soi.market_seconds"), counts[2]);
  const std::string db = (work_.path() / "data/processed/consolidated/market.duckdb").string();
  EXPECT_NEAR(std::stod(pg("SELECT sum(vix) FROM soi.market_seconds")),
              std::stod(duckdb_scalar("ATTACH '" + db + "' AS m (READ_ONLY); SELECT sum(vix) FROM m.market_seconds")),
              1e-6);
  EXPECT_EQ(pg("SELECT sum(news_count) FROM soi.market_seconds"),
            duckdb_scalar("ATTACH '" + db + "' AS m (READ_ONLY); SELECT sum(news_count) FROM m.market_seconds"));

  // The password appears in no output and no file of the run.
  const std::string& password = server_->password();
  ASSERT_GE(password.size(), 8u);
  EXPECT_EQ(r.out.find(password), std::string::npos);
  EXPECT_EQ(r.err.find(password), std::string::npos);
  const auto leaks = files_containing(work_.path(), password);
  EXPECT_TRUE(leaks.empty()) << leaks.front();
}

TEST_F(PostgresTest, WrongPasswordIsAClearErrorWithoutThePassword) {
  SimulatorProcess sim;
  const std::string wrong = "wrong-password-4711";
  auto r = backfill(sim, server_->url_with_password(wrong), "spy");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("authentication failed"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(wrong), std::string::npos) << r.err;
  EXPECT_TRUE(files_containing(work_.path(), wrong).empty());
}

TEST_F(PostgresTest, ServerDownIsAClearErrorAfterRetries) {
  SimulatorProcess sim;
  // A loopback port nothing listens on.
  const int free_port = test::free_loopback_port();
  const std::string url = "postgresql://soi_test:unused-pw-1234@127.0.0.1:" + std::to_string(free_port) + "/soi_test";
  auto r = backfill(sim, url, "spy");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cannot connect to PostgreSQL"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("unused-pw-1234"), std::string::npos) << r.err;
}

TEST_F(PostgresTest, MissingConnectionVariableIsAConfigError) {
  SimulatorProcess sim;
  Env e = env("");
  e.erase("SOI_POSTGRES_URL");
  auto r = run_soi({"--config", config_dir(), "backfill", "--source", "spy", "--from", kDay, "--base-url",
                    sim.base_url()},
                   e, work_.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("SOI_POSTGRES_URL"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace soi::it
