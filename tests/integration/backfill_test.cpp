// The real soi binary against `soi simulate`: clean backfill, rerun overwrite,
// every injected fault, bad keys, bad configuration, and a secret scan of
// everything a run wrote.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/process.hpp"

namespace soi::it {
namespace {

namespace fs = std::filesystem;

constexpr const char* kKey = "FAKEKEY-soi-test-0123456789abcdef";
constexpr const char* kKeyTail = "****cdef";

class BackfillTest : public ::testing::Test {
 protected:
  Env env(Env extra = {}) const {
    Env e{{"MASSIVE_API_KEY", kKey},
          {"SOI_RETRY_POLICY_INITIAL_BACKOFF_MS", "20"},
          {"SOI_RETRY_POLICY_MAX_BACKOFF_MS", "200"}};
    for (auto& [k, v] : extra) e[k] = v;
    return e;
  }
  ProcessResult backfill(const SimulatorProcess& sim, std::vector<std::string> extra, Env extra_env = {}) {
    std::vector<std::string> args{"--config", config_dir(), "backfill", "--source", "spy", "--base-url", sim.base_url()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_soi(args, env(extra_env), work_.path());
  }
  fs::path data() const { return work_.path() / "data"; }
  fs::path partition(const std::string& date) const { return data() / "raw" / "spy" / ("date=" + date) / "data.parquet"; }
  std::string q(const std::string& sql) const { return duckdb_scalar(sql); }
  std::string glob() const { return "read_parquet('" + (data() / "raw/spy/*/*.parquet").string() + "', hive_partitioning=true)"; }

  // Secrets never reach any file or output.
  void expect_no_secret(const ProcessResult& r) {
    EXPECT_EQ(r.out.find(kKey), std::string::npos);
    EXPECT_EQ(r.err.find(kKey), std::string::npos);
    auto leaks = files_containing(work_.path(), kKey);
    EXPECT_TRUE(leaks.empty()) << "key found in " << (leaks.empty() ? "" : leaks.front().string());
  }

  TempDir work_;
};

TEST_F(BackfillTest, CleanBackfillMatchesTheExchangeDailyFigures) {
  SimulatorProcess sim;
  auto r = backfill(sim, {"--from", "2025-01-16", "--to", "2025-01-17", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"status\":\"ok\""), std::string::npos) << r.out;
  for (const char* day : {"2025-01-16", "2025-01-17"}) {
    ASSERT_TRUE(fs::exists(partition(day))) << day;
    const std::string file = "read_parquet('" + partition(day).string() + "')";
    // Regular session only, every second at most once, on whole seconds.
    EXPECT_EQ(q("SELECT count(*) - count(DISTINCT ts) FROM " + file), "0");
    EXPECT_EQ(q("SELECT count(*) FILTER (WHERE epoch_ms(ts) % 1000 <> 0) FROM " + file), "0");
    const std::string open_ms = q("SELECT epoch_ms(min(ts)) FROM " + file);
    EXPECT_GE(std::stoll(open_ms), 0);
    EXPECT_EQ(q("SELECT count(*) FILTER (WHERE NOT (low <= open AND open <= high AND low <= close AND close <= high)) FROM " + file), "0");
    EXPECT_EQ(q("SELECT min(strftime(ts AT TIME ZONE 'America/New_York', '%H:%M')) >= '09:30' AND "
                "max(strftime(ts AT TIME ZONE 'America/New_York', '%H:%M')) < '16:00' FROM " + file), "true");
    EXPECT_EQ(q("SELECT count(DISTINCT run_id) FROM " + file), "1");
    EXPECT_EQ(q("SELECT any_value(origin) FROM " + file), "rest");
    // Every traded second arrived: the day's totals equal the exchange's daily figures.
    const std::string daily = http_get(sim.base_url(), std::string("/v1/open-close/SPY/") + day);
    auto field = [&](const std::string& name) {
      auto pos = daily.find("\"" + name + "\":");
      return std::stod(daily.substr(pos + name.size() + 3));
    };
    EXPECT_DOUBLE_EQ(std::stod(q("SELECT sum(volume) FROM " + file)), field("volume")) << daily;
    EXPECT_DOUBLE_EQ(std::stod(q("SELECT max(high) FROM " + file)), field("high"));
    EXPECT_DOUBLE_EQ(std::stod(q("SELECT min(low) FROM " + file)), field("low"));
    EXPECT_DOUBLE_EQ(std::stod(q("SELECT arg_min(open, ts) FROM " + file)), field("open"));
    EXPECT_DOUBLE_EQ(std::stod(q("SELECT arg_max(close, ts) FROM " + file)), field("close"));
    const auto rows = std::stoll(q("SELECT count(*) FROM " + file));
    EXPECT_GT(rows, 20000);   // ~2% of 23,400 seconds have no trade
    EXPECT_LT(rows, 23400);
  }
  EXPECT_EQ(q("SELECT count(DISTINCT date) FROM " + glob()), "2");
  EXPECT_FALSE(files_under(data() / "manifests").empty());
  expect_no_secret(r);
}

TEST_F(BackfillTest, VixIsStoredAsIndexValuesWithoutVolume) {
  SimulatorProcess sim;
  auto r = backfill(sim, {"--from", "2025-01-17", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto vix = run_soi({"--config", config_dir(), "backfill", "--source", "vix", "--from", "2025-01-17", "--base-url",
                      sim.base_url(), "--json"},
                     env(), work_.path());
  ASSERT_EQ(vix.exit_code, 0) << vix.err;
  EXPECT_NE(vix.out.find(R"("feed":"vix","status":"ok")"), std::string::npos) << vix.out;
  const std::string file = "read_parquet('" + (data() / "raw/vix/date=2025-01-17/data.parquet").string() + "')";
  EXPECT_EQ(q("SELECT count(*) FROM " + file), "23400");  // an index value every second of the session
  EXPECT_EQ(q("SELECT count(volume) + count(vwap) + count(transactions) FROM " + file), "0");  // NULL, not 0
  EXPECT_EQ(q("SELECT any_value(ticker) FROM " + file), "I:VIX");
  const std::string daily = http_get(sim.base_url(), "/v1/open-close/I:VIX/2025-01-17");
  EXPECT_EQ(daily.find("\"volume\""), std::string::npos) << daily;
  auto field = [&](const std::string& name) {
    auto pos = daily.find("\"" + name + "\":");
    return std::stod(daily.substr(pos + name.size() + 3));
  };
  EXPECT_DOUBLE_EQ(std::stod(q("SELECT max(high) FROM " + file)), field("high"));
  EXPECT_DOUBLE_EQ(std::stod(q("SELECT min(low) FROM " + file)), field("low"));
  // The SPY partition of the earlier run is untouched by the VIX run.
  EXPECT_TRUE(fs::exists(partition("2025-01-17")));
  expect_no_secret(vix);
}

TEST_F(BackfillTest, AllSourcesInOneRun) {
  SimulatorProcess sim;
  auto r = run_soi({"--config", config_dir(), "backfill", "--source", "all", "--from", "2025-01-16", "--to",
                    "2025-01-17", "--base-url", sim.base_url(), "--json"},
                   env(), work_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(R"("feed":"spy")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("feed":"vix")"), std::string::npos) << r.out;
  EXPECT_EQ(q("SELECT count(*) FROM read_parquet('" + (data() / "raw/vix/*/*.parquet").string() + "')"), "46800");
  // One manifest lists the partitions of both feeds.
  auto manifests = files_containing(data() / "manifests", "raw/vix/date=2025-01-16");
  EXPECT_FALSE(manifests.empty());
}

TEST_F(BackfillTest, RerunReplacesTheDayWithoutDuplicates) {
  SimulatorProcess sim;
  auto first = backfill(sim, {"--from", "2025-01-17"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string rows = q("SELECT count(*) FROM " + glob());
  const std::string run1 = q("SELECT any_value(run_id) FROM " + glob());
  auto second = backfill(sim, {"--from", "2025-01-17"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(q("SELECT count(*) FROM " + glob()), rows);
  EXPECT_NE(q("SELECT any_value(run_id) FROM " + glob()), run1);
  // Exactly one file in the partition, no temp leftovers.
  EXPECT_EQ(files_under(data() / "raw" / "spy").size(), 1u);
  EXPECT_EQ(read_file(data() / "manifests" / "runs.jsonl").find('\n') != std::string::npos, true);
}

TEST_F(BackfillTest, ReplayingWrittenHistoryGivesTheSameData) {
  {
    SimulatorProcess sim;
    auto r = backfill(sim, {"--from", "2025-01-16", "--to", "2025-01-17"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // The simulator serves what soi wrote; a second backfill of it must give identical bars.
  SimulatorProcess replay({"--data", "replay", "--replay-dir", data().string()});
  TempDir other;
  auto r = run_soi({"--config", config_dir(), "backfill", "--source", "spy", "--from", "2025-01-16", "--to",
                    "2025-01-17", "--base-url", replay.base_url(), "--data-dir", (other.path() / "d").string()},
                   env(), other.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string cols = "ticker, ts, open, high, low, close, volume, vwap, transactions";
  const std::string a = "read_parquet('" + (data() / "raw/spy/*/*.parquet").string() + "')";
  const std::string b = "read_parquet('" + (other.path() / "d/raw/spy/*/*.parquet").string() + "')";
  EXPECT_EQ(q("SELECT count(*) FROM " + b), q("SELECT count(*) FROM " + a));
  EXPECT_EQ(q("SELECT count(*) FROM (SELECT " + cols + " FROM " + a + " EXCEPT SELECT " + cols + " FROM " + b + ")"), "0");
  EXPECT_EQ(q("SELECT count(*) FROM (SELECT " + cols + " FROM " + b + " EXCEPT SELECT " + cols + " FROM " + a + ")"), "0");
}

TEST_F(BackfillTest, WeekendsAndHolidaysAreSkipped) {
  SimulatorProcess sim;
  auto r = backfill(sim, {"--from", "2025-01-18", "--to", "2025-01-20", "--json"});  // Sat, Sun, MLK day
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"days\":0"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(data() / "raw" / "spy"));
}

struct FaultCase {
  const char* name;
  const char* spec;
};

void PrintTo(const FaultCase& c, std::ostream* os) { *os << c.spec; }

class RecoverableFaultTest : public BackfillTest, public ::testing::WithParamInterface<FaultCase> {};

TEST_P(RecoverableFaultTest, RetriesAndStillCollectsTheWholeDay) {
  std::string reference_rows;
  {
    SimulatorProcess clean;
    TempDir other;
    auto r = run_soi({"--config", config_dir(), "backfill", "--source", "spy", "--from", "2025-01-17", "--base-url",
                      clean.base_url(), "--data-dir", (other.path() / "d").string(), "--json"},
                     env(), other.path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    reference_rows = q("SELECT count(*) FROM '" + (other.path() / "d/raw/spy/date=2025-01-17/data.parquet").string() + "'");
  }
  SimulatorProcess sim({"--fault", GetParam().spec});
  auto r = backfill(sim, {"--from", "2025-01-17", "--json"}, {{"SOI_SOURCES_SPY_PAGE_LIMIT", "5000"},
                                                               {"SOI_RETRY_POLICY_CONNECT_TIMEOUT_SECONDS", "1"},
                                                               {"SOI_RETRY_POLICY_REQUEST_TIMEOUT_SECONDS", "1"}});
  ASSERT_EQ(r.exit_code, 0) << GetParam().name << ": " << r.err << r.out;
  EXPECT_EQ(q("SELECT count(*) FROM '" + partition("2025-01-17").string() + "'"), reference_rows) << GetParam().name;
  // The fault really happened (the simulator counts what it served).
  const std::string stats = http_get(sim.base_url(), "/_sim/stats");
  const std::string kind = std::string(GetParam().spec).substr(0, std::string(GetParam().spec).find(':'));
  EXPECT_EQ(stats.find("\"" + kind + "\":0"), std::string::npos) << stats;
  expect_no_secret(r);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, RecoverableFaultTest,
    ::testing::Values(FaultCase{"rate_limit", "rate_limit:first=2:retry_after=1:path=/v2/aggs"},
                      FaultCase{"server_error", "server_error:status=503:first=2:path=/v2/aggs"},
                      FaultCase{"slow", "slow:first=1:delay_ms=2500:path=/v2/aggs"},
                      FaultCase{"truncate", "truncate:first=1:path=/v2/aggs"},
                      FaultCase{"malformed", "malformed:first=1:path=/v2/aggs"},
                      FaultCase{"drop", "drop:first=1:path=/v2/aggs"},
                      FaultCase{"every_third_request_fails", "server_error:status=502:every=3:path=/v2/aggs"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(BackfillTest, PersistentServerErrorsFailTheDayWithASummary) {
  SimulatorProcess sim({"--fault", "server_error:status=500:path=/v2/aggs"});
  auto r = backfill(sim, {"--from", "2025-01-17", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("\"status\":\"failed\""), std::string::npos) << r.out;
  auto summaries = files_containing(data() / "logs" / "errors", "\"category\":\"server\"");
  ASSERT_FALSE(summaries.empty());
  EXPECT_NE(read_file(data() / "logs" / "errors" / "errors.log").find("[server]"), std::string::npos);
  EXPECT_FALSE(fs::exists(partition("2025-01-17")));
  expect_no_secret(r);
}

TEST_F(BackfillTest, NewFieldIsReportedAsSchemaDriftOncePerDay) {
  SimulatorProcess sim({"--fault", "new_field"});
  auto r = backfill(sim, {"--from", "2025-01-16", "--to", "2025-01-17"}, {{"SOI_SOURCES_SPY_PAGE_LIMIT", "5000"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string registry = read_file(data() / "logs" / "errors" / "schema_drift.json");
  EXPECT_NE(registry.find("zz_sim_new_field"), std::string::npos) << registry;
  const std::string errors = read_file(data() / "logs" / "errors" / "errors.log");
  // One alert per source per day, although every record of ~10 pages carried the field.
  std::size_t alerts = 0;
  for (std::size_t pos = 0; (pos = errors.find("[schema]", pos)) != std::string::npos; ++pos) ++alerts;
  EXPECT_EQ(alerts, 2u) << errors;
}

TEST_F(BackfillTest, BadRecordsAreQuarantinedNotDropped) {
  SimulatorProcess sim({"--fault", "bad_record:first=1:path=/v2/aggs"});
  auto r = backfill(sim, {"--from", "2025-01-17", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"quarantined\":1"), std::string::npos) << r.out;
  const fs::path qfile = data() / "quarantine" / "spy" / "date=2025-01-17" / "records.jsonl";
  ASSERT_TRUE(fs::exists(qfile));
  const std::string text = read_file(qfile);
  EXPECT_NE(text.find("outside [low, high]"), std::string::npos) << text;
  EXPECT_NE(text.find("\"raw\""), std::string::npos) << text;
  expect_no_secret(r);
}

TEST_F(BackfillTest, WrongKeyIsAClearAuthErrorWithoutTheKey) {
  SimulatorProcess sim({"--api-key", "the-right-key-0000"});
  // The calendar is the first request: the run stops there, naming that API.
  auto r = backfill(sim, {"--from", "2025-01-16", "--to", "2025-01-17"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("authentication failed (HTTP 401)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Market status API"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Unknown API Key"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(kKeyTail), std::string::npos) << r.err;
  expect_no_secret(r);
  // Without the calendar call, the aggregates request names its own API and the
  // run stops after the first day instead of failing every day the same way.
  auto aggs = backfill(sim, {"--from", "2025-01-16", "--to", "2025-01-17", "--json"},
                       {{"SOI_SOURCES_CALENDAR_USE_MARKET_STATUS_API", "false"}});
  EXPECT_EQ(aggs.exit_code, 1);
  EXPECT_NE(aggs.err.find("Stocks aggregates API"), std::string::npos) << aggs.err;
  EXPECT_NE(aggs.out.find("\"days_skipped\":1"), std::string::npos) << aggs.out;
  expect_no_secret(aggs);
}

TEST_F(BackfillTest, MissingKeyIsAUsageError) {
  SimulatorProcess sim;
  auto r = run_soi({"--config", config_dir(), "backfill", "--from", "2025-01-17", "--base-url", sim.base_url()}, {},
                   work_.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("MASSIVE_API_KEY"), std::string::npos) << r.err;
}

TEST_F(BackfillTest, BadConfigurationStopsWithExitCode2) {
  fs::create_directories(work_.path() / "cfg");
  std::ofstream(work_.path() / "cfg" / "settings.yaml") << "log_levl: debug\n";
  auto r = run_soi({"--config", (work_.path() / "cfg").string(), "backfill", "--from", "2025-01-17"}, env(), work_.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("settings.yaml"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("log_levl"), std::string::npos) << r.err;
}

TEST_F(BackfillTest, UsageErrorsExitWith2) {
  const std::string cfg = config_dir();
  auto reversed = run_soi({"--config", cfg, "backfill", "--base-url", "http://127.0.0.1:9", "--from", "2025-01-17",
                           "--to", "2025-01-10"}, env(), work_.path());
  EXPECT_EQ(reversed.exit_code, 2);
  EXPECT_NE(reversed.err.find("is before --from"), std::string::npos) << reversed.err;
  auto bad_date = run_soi({"--config", cfg, "backfill", "--base-url", "http://127.0.0.1:9", "--from", "17/01/2025"},
                          env(), work_.path());
  EXPECT_EQ(bad_date.exit_code, 2);
  EXPECT_NE(bad_date.err.find("expected a date YYYY-MM-DD"), std::string::npos) << bad_date.err;
  auto bitcoin = run_soi({"--config", cfg, "backfill", "--source", "bitcoin"}, env(), work_.path());
  EXPECT_EQ(bitcoin.exit_code, 2);
  EXPECT_NE(bitcoin.err.find("unknown feed 'bitcoin'"), std::string::npos) << bitcoin.err;
  EXPECT_NE(bitcoin.err.find("spy, vix, options, news, all"), std::string::npos) << bitcoin.err;
  // A comma list is checked name by name, before anything is contacted.
  auto listed = run_soi({"--config", cfg, "backfill", "--base-url", "http://127.0.0.1:9", "--source", "spy,bitcoin",
                         "--from", "2025-01-17"}, env(), work_.path());
  EXPECT_EQ(listed.exit_code, 2);
  EXPECT_NE(listed.err.find("unknown feed 'bitcoin'"), std::string::npos) << listed.err;
  auto keep_list = run_soi({"--config", cfg, "backfill", "--source", "spy,vix", "--from", "2025-01-17",
                            "--keep-tracked-contracts"}, env(), work_.path());
  EXPECT_EQ(keep_list.exit_code, 2);
  auto keep = run_soi({"--config", cfg, "backfill", "--source", "spy", "--from", "2025-01-17",
                       "--keep-tracked-contracts"}, env(), work_.path());
  EXPECT_EQ(keep.exit_code, 2);
  EXPECT_NE(keep.err.find("applies to --source options or all"), std::string::npos) << keep.err;
  EXPECT_EQ(run_soi({"no-such-command"}, env(), work_.path()).exit_code, 2);
}

TEST_F(BackfillTest, ConfigShowPrintsEffectiveSettings) {
  auto r = run_soi({"--config", config_dir(), "config", "show"}, {{"SOI_SOURCES_SPY_PAGE_LIMIT", "1234"}}, work_.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("sources.yaml: spy.page_limit = 1234"), std::string::npos) << r.out;
  auto bad = run_soi({"--config", config_dir(), "config", "show"}, {{"SOI_SOURCES_SPY_PAGE_LIMIT", "0"}}, work_.path());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("SOI_SOURCES_SPY_PAGE_LIMIT"), std::string::npos) << bad.err;
}

TEST_F(BackfillTest, QueryRunsSqlOnTheEmbeddedDuckDb) {
  auto r = run_soi({"query", "SELECT 40 + 2 AS answer", "--json"}, {}, work_.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"answer\":\"42\"}\n");
  auto bad = run_soi({"query", "SELEC nonsense"}, {}, work_.path());
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("[storage]"), std::string::npos) << bad.err;
}

TEST_F(BackfillTest, EverySubcommandHasHelp) {
  for (std::vector<std::string> cmd : {std::vector<std::string>{"backfill"}, {"simulate"}, {"query"}, {"config"},
                                       {"config", "show"}}) {
    cmd.push_back("--help");
    auto r = run_soi(cmd, {}, work_.path());
    EXPECT_EQ(r.exit_code, 0) << cmd[0];
    EXPECT_NE(r.out.find("--help"), std::string::npos) << cmd[0];
  }
  EXPECT_EQ(run_soi({"--help"}, {}, work_.path()).exit_code, 0);
}

}  // namespace
}  // namespace soi::it
