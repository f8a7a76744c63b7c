// Every feed of the mission through the real soi binary against `soi simulate`:
// SPY, VIX, options within +/-1% of the open, news, the consolidated DuckDB
// database and its per-second view; rerun without duplicates; faults on the
// options and open-close endpoints.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/process.hpp"

namespace soi::it {
namespace {

namespace fs = std::filesystem;

constexpr const char* kKey = "FAKEKEY-feeds-test-0123456789abcdef";
constexpr const char* kDay1 = "2025-01-16";  // Thursday
constexpr const char* kDay2 = "2025-01-17";  // Friday (monthly expiration)

class FeedsTest : public ::testing::Test {
 protected:
  Env env(Env extra = {}) const {
    Env e{{"MASSIVE_API_KEY", kKey},
          {"SOI_RETRY_POLICY_INITIAL_BACKOFF_MS", "20"},
          {"SOI_RETRY_POLICY_MAX_BACKOFF_MS", "200"}};
    for (auto& [k, v] : extra) e[k] = v;
    return e;
  }
  ProcessResult backfill(const SimulatorProcess& sim, std::vector<std::string> extra, Env extra_env = {}) {
    std::vector<std::string> args{"--config", config_dir(), "backfill", "--base-url", sim.base_url(), "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_soi(args, env(std::move(extra_env)), work_.path());
  }
  fs::path data() const { return work_.path() / "data"; }
  std::string parquet(const std::string& feed, const std::string& date = "*") const {
    return "read_parquet('" + (data() / "raw" / feed / ("date=" + date) / "*.parquet").string() +
           "', hive_partitioning = true)";
  }
  std::string db() const { return (data() / "processed/consolidated/market.duckdb").string(); }
  // A query on the consolidated database (attached read-only).
  std::string qdb(const std::string& sql) const {
    return duckdb_scalar("ATTACH '" + db() + "' AS m (READ_ONLY); USE m; " + sql);
  }
  std::string q(const std::string& sql) const { return duckdb_scalar(sql); }

  TempDir work_;
};

TEST_F(FeedsTest, AllFeedsLandInParquetAndTheConsolidatedDatabase) {
  SimulatorProcess sim;
  auto r = backfill(sim, {"--source", "all", "--from", kDay1, "--to", kDay2});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  for (const char* feed : {"spy", "vix", "options", "news"})
    EXPECT_NE(r.out.find(std::string("\"feed\":\"") + feed + "\""), std::string::npos)
        << feed << " missing from the summary: " << r.out;

  for (const char* day : {kDay1, kDay2}) {
    SCOPED_TRACE(day);
    for (const char* feed : {"spy", "vix", "options", "options_contracts", "news"})
      EXPECT_TRUE(fs::exists(data() / "raw" / feed / (std::string("date=") + day) / "data.parquet")) << feed;

    // The universe: centred on the official open, every strike inside the +/-1% band.
    const std::string contracts = parquet("options_contracts", day);
    const std::string daily = http_get(sim.base_url(), std::string("/v1/open-close/SPY/") + day);
    const auto open_pos = daily.find("\"open\":");
    ASSERT_NE(open_pos, std::string::npos) << daily;
    const double open = std::stod(daily.substr(open_pos + 7));
    EXPECT_DOUBLE_EQ(std::stod(q("SELECT any_value(underlying_open) FROM " + contracts)), open);
    EXPECT_EQ(q("SELECT any_value(open_source) FROM " + contracts), "open_close");
    EXPECT_NEAR(std::stod(q("SELECT any_value(strike_low) FROM " + contracts)), open * 0.99, 1e-6);
    EXPECT_NEAR(std::stod(q("SELECT any_value(strike_high) FROM " + contracts)), open * 1.01, 1e-6);
    EXPECT_EQ(q("SELECT count(*) FILTER (WHERE strike < strike_low OR strike > strike_high) FROM " + contracts), "0");
    EXPECT_EQ(q("SELECT count(DISTINCT contract_type) FROM " + contracts), "2");
    EXPECT_GE(std::stoll(q("SELECT count(*) FROM " + contracts)), 4);
    // Default expiry selection: the one nearest expiration on or after the day.
    EXPECT_EQ(q("SELECT count(DISTINCT expiration) FROM " + contracts), "1");
    EXPECT_EQ(q("SELECT min(expiration) >= DATE '" + std::string(day) + "' FROM " + contracts), "true");

    // Option bars: only universe contracts, each second once, contract columns filled.
    const std::string options = parquet("options", day);
    EXPECT_GT(std::stoll(q("SELECT count(*) FROM " + options)), 0);
    EXPECT_EQ(q("SELECT count(*) FROM " + options + " WHERE ticker NOT IN (SELECT ticker FROM " + contracts + ")"),
              "0");
    EXPECT_EQ(q("SELECT count(*) - count(DISTINCT (ticker, ts)) FROM " + options), "0");
    EXPECT_EQ(q("SELECT count(*) FILTER (WHERE underlying <> 'SPY' OR contract_type NOT IN ('call', 'put') "
                "OR strike IS NULL OR expiration IS NULL) FROM " + options),
              "0");
    // Sparse: no bar is invented for seconds without a trade.
    EXPECT_LT(std::stoll(q("SELECT max(n) FROM (SELECT count(*) AS n FROM " + options + " GROUP BY ticker)")), 23400);

    // News: by New York publication date, one row per id, a sentiment column per configured ticker.
    const std::string news = parquet("news", day);
    EXPECT_EQ(q("SELECT count(*) - count(DISTINCT id) FROM " + news), "0");
    EXPECT_EQ(q("SELECT count(*) FILTER (WHERE CAST(timezone('America/New_York', published_utc) AS DATE) <> "
                "DATE '" + std::string(day) + "') FROM " + news),
              "0");
    EXPECT_EQ(q("SELECT count(*) FILTER (WHERE sentiment_spy NOT IN ('positive', 'neutral', 'negative')) FROM " +
                news),
              "0");
  }
  EXPECT_GT(std::stoll(q("SELECT count(*) FROM " + parquet("news"))), 0);

  // The consolidated database holds exactly what the Parquet files hold.
  for (const auto& [table, feed] : std::vector<std::pair<std::string, std::string>>{
           {"spy_bars", "spy"}, {"vix_bars", "vix"}, {"option_bars", "options"},
           {"option_contracts", "options_contracts"}, {"news", "news"}})
    EXPECT_EQ(qdb("SELECT count(*) FROM " + table), q("SELECT count(*) FROM " + parquet(feed))) << table;
  // One row per regular-session second of both days.
  EXPECT_EQ(qdb("SELECT count(*) FROM market_seconds"), "46800");
  // VIX is the last known value: equal to the bar at that second, never NULL after the day's first value.
  EXPECT_EQ(qdb("SELECT count(*) FROM market_seconds m JOIN vix_bars v ON v.ts = m.ts WHERE m.vix <> v.close"), "0");
  EXPECT_EQ(qdb("SELECT count(*) FROM market_seconds m WHERE vix IS NULL AND "
                "ts >= (SELECT min(ts) FROM vix_bars v WHERE v.date = m.date)"),
            "0");
  EXPECT_GT(std::stoll(qdb("SELECT count(*) FROM market_seconds WHERE vix IS NOT NULL")), 40000);
  // News per minute: the view's counts add up to the articles published during the sessions.
  EXPECT_EQ(qdb("SELECT sum(news_count) FILTER (WHERE second(ts) = 0) FROM market_seconds"),
            qdb("SELECT count(*) FROM news n JOIN sessions s ON n.published_utc >= s.open_ts AND "
                "n.published_utc < s.close_ts"));
  EXPECT_EQ(qdb("SELECT sum(calls_traded + puts_traded) FROM market_seconds"),
            q("SELECT count(*) FROM " + parquet("options")));
  EXPECT_EQ(qdb("SELECT sum(call_volume + put_volume) = (SELECT sum(volume) FROM option_bars) FROM market_seconds"),
            "true");
  EXPECT_EQ(qdb("SELECT count(*) FROM market_seconds WHERE spy_close IS NOT NULL"),
            q("SELECT count(*) FROM " + parquet("spy")));
}

TEST_F(FeedsTest, RerunReplacesEveryFeedWithoutDuplicates) {
  SimulatorProcess sim;
  ASSERT_EQ(backfill(sim, {"--source", "all", "--from", kDay2}).exit_code, 0);
  const std::string tables[] = {"spy_bars", "vix_bars", "option_bars", "option_contracts", "news"};
  std::vector<std::string> before;
  for (const auto& t : tables) before.push_back(qdb("SELECT count(*) FROM " + t));
  const std::string first_run = qdb("SELECT any_value(run_id) FROM option_bars");

  auto r = backfill(sim, {"--source", "all", "--from", kDay2});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (std::size_t i = 0; i < std::size(tables); ++i) {
    EXPECT_EQ(qdb("SELECT count(*) FROM " + tables[i]), before[i]) << tables[i];
    EXPECT_NE(qdb("SELECT any_value(run_id) FROM " + tables[i]), first_run) << tables[i] << " was not replaced";
  }
  EXPECT_EQ(qdb("SELECT count(*) - count(DISTINCT (ticker, ts)) FROM option_bars"), "0");
  EXPECT_EQ(q("SELECT count(*) - count(DISTINCT (ticker, ts)) FROM " + parquet("options")), "0");
}

TEST_F(FeedsTest, OptionFaultsAreRetriedAndTheDayCompletes) {
  // Reference: a fault-free run.
  SimulatorProcess clean;
  TempDir other;
  auto reference = run_soi({"--config", config_dir(), "backfill", "--base-url", clean.base_url(), "--source",
                            "options", "--from", kDay1, "--data-dir", (other.path() / "data").string()},
                           env(), other.path());
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  const std::string clean_file =
      "read_parquet('" + (other.path() / "data/raw/options/date=2025-01-16/data.parquet").string() + "')";

  struct Case {
    std::vector<std::string> faults;
    std::string in_flight;
  };
  // Periodic faults with one contract in flight (so a retry never lands on the next
  // faulty slot), and a burst of failures hitting all 4 concurrent workers at once.
  const Case cases[] = {
      {{"--fault", "server_error:status=502:every=3:path=/v2/aggs/ticker/O:", "--fault",
        "truncate:every=7:path=/v2/aggs/ticker/O:", "--fault",
        "rate_limit:first=2:path=/v3/reference/options/contracts"},
       "1"},
      {{"--fault", "server_error:status=503:first=4:path=/v2/aggs/ticker/O:", "--fault",
        "malformed:first=2:path=/v3/reference/options/contracts"},
       "4"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in_flight);
    SimulatorProcess sim(c.faults);
    auto r = backfill(sim, {"--source", "options", "--from", kDay1}, {{"SOI_SOURCES_OPTIONS_MAX_IN_FLIGHT", c.in_flight}});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_EQ(r.out.find("\"http_retries\":0,"), std::string::npos) << "no fault was served: " << r.out;
    // Exactly the bars of the fault-free run.
    const std::string faulty = parquet("options", kDay1);
    EXPECT_EQ(q("SELECT count(*) FROM (SELECT ticker, ts, open, high, low, close, volume FROM " + faulty +
                " EXCEPT SELECT ticker, ts, open, high, low, close, volume FROM " + clean_file + ")"),
              "0");
    EXPECT_EQ(q("SELECT count(*) FROM " + faulty), q("SELECT count(*) FROM " + clean_file));
  }
}

TEST_F(FeedsTest, OpenFallsBackToTheFirstBarWhenOpenCloseFails) {
  SimulatorProcess sim({"--fault", "server_error:status=500:path=/v1/open-close"});
  auto r = backfill(sim, {"--source", "options", "--from", kDay1});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const std::string contracts = parquet("options_contracts", kDay1);
  EXPECT_EQ(q("SELECT any_value(open_source) FROM " + contracts), "first_bar");
  // The first regular-session second of 2025-01-16 (09:30 EST = 14:30 UTC), straight from the simulator.
  const std::string first = http_get(sim.base_url(), "/v2/aggs/ticker/SPY/range/1/second/1737037800000/"
                                                     "1737038100000?adjusted=true&sort=asc&limit=1");
  const auto pos = first.find("\"o\":");
  ASSERT_NE(pos, std::string::npos) << first;
  EXPECT_DOUBLE_EQ(std::stod(q("SELECT any_value(underlying_open) FROM " + contracts)),
                   std::stod(first.substr(pos + 4)));
  EXPECT_EQ(q("SELECT count(*) FILTER (WHERE strike < strike_low OR strike > strike_high) FROM " + contracts), "0");
}

TEST_F(FeedsTest, NewsCoversWeekendsAndHolidaysOfTheRangeAsked) {
  SimulatorProcess sim;
  // Saturday to Monday, 2025-01-20 being Martin Luther King Jr. Day: no trading day at all.
  auto r = backfill(sim, {"--source", "news", "--from", "2025-01-18", "--to", "2025-01-20"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  for (const char* day : {"2025-01-18", "2025-01-19", "2025-01-20"})
    EXPECT_TRUE(fs::exists(data() / "raw/news" / (std::string("date=") + day) / "data.parquet")) << day;
  EXPECT_GT(std::stoll(q("SELECT count(*) FROM " + parquet("news"))), 0);
}

// No --source: every feed sources.yaml enables, not SPY alone.
TEST_F(FeedsTest, PlainBackfillCollectsEveryEnabledFeed) {
  SimulatorProcess sim;
  auto r = backfill(sim, {"--from", kDay2, "--to", kDay2});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  for (const char* feed : {"spy", "vix", "options", "news"})
    EXPECT_NE(r.out.find(std::string("\"feed\":\"") + feed + "\""), std::string::npos) << feed << ": " << r.out;
  for (const char* feed : {"spy", "vix", "options", "options_contracts", "news"})
    EXPECT_TRUE(fs::exists(data() / "raw" / feed / (std::string("date=") + kDay2) / "data.parquet")) << feed;
  for (const char* table : {"spy_bars", "vix_bars", "option_bars", "option_contracts", "news"})
    EXPECT_GT(std::stoll(qdb(std::string("SELECT count(*) FROM ") + table)), 0) << table;

  // A feed disabled in sources.yaml is left out.
  TempDir other;
  auto without_vix = run_soi({"--config", config_dir(), "backfill", "--base-url", sim.base_url(), "--from", kDay2,
                              "--data-dir", (other.path() / "data").string(), "--json"},
                             env({{"SOI_SOURCES_VIX_ENABLED", "false"}}), other.path());
  ASSERT_EQ(without_vix.exit_code, 0) << without_vix.err << without_vix.out;
  EXPECT_EQ(without_vix.out.find("\"feed\":\"vix\""), std::string::npos) << without_vix.out;
  EXPECT_NE(without_vix.out.find("\"feed\":\"spy\""), std::string::npos) << without_vix.out;
  EXPECT_FALSE(fs::exists(other.path() / "data" / "raw" / "vix"));
}

TEST_F(FeedsTest, NoSecretInAnythingTheRunWrote) {
  SimulatorProcess sim;
  auto r = backfill(sim, {"--source", "all", "--from", kDay1});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find(kKey), std::string::npos);
  EXPECT_EQ(r.err.find(kKey), std::string::npos);
  const auto leaks = files_containing(work_.path(), kKey);
  EXPECT_TRUE(leaks.empty()) << leaks.front();
}

}  // namespace
}  // namespace soi::it
