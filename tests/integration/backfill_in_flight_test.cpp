// The real soi binary with several days in flight against `soi simulate`:
// under rate limits, server errors and dropped connections every day is
// stored and equals a one-day-at-a-time run row for row; a failed day is
// reported and the others kept; a rerun replaces the days with no duplicates;
// and the simulator's request log shows no one-second window over
// max_requests_per_second.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <vector>

#include "support/process.hpp"

namespace soi::it {
namespace {

namespace fs = std::filesystem;

constexpr const char* kKey = "FAKEKEY-soi-inflight-0123456789abcdef";
// Nine trading days (2025-01-20 is a holiday).
constexpr const char* kFrom = "2025-01-13";
constexpr const char* kTo = "2025-01-24";
const std::vector<std::string> kDays = {"2025-01-13", "2025-01-14", "2025-01-15", "2025-01-16", "2025-01-17",
                                        "2025-01-21", "2025-01-22", "2025-01-23", "2025-01-24"};
constexpr int kRequestsPerSecond = 20;

class BackfillInFlightTest : public ::testing::Test {
 protected:
  static Env env(const std::string& in_flight, Env extra = {}) {
    Env e{{"MASSIVE_API_KEY", kKey},
          {"SOI_RETRY_POLICY_INITIAL_BACKOFF_MS", "20"},
          {"SOI_RETRY_POLICY_MAX_BACKOFF_MS", "200"},
          {"SOI_RETRY_POLICY_MAX_ATTEMPTS", "8"},
          {"SOI_SOURCES_SPY_PAGE_LIMIT", "5000"},  // ~5 pages a day: several requests of each day in flight
          {"SOI_SOURCES_MAX_REQUESTS_PER_SECOND", std::to_string(kRequestsPerSecond)},
          {"SOI_SOURCES_MAX_DAYS_IN_FLIGHT", in_flight}};
    for (auto& [k, v] : extra) e[k] = v;
    return e;
  }
  static ProcessResult backfill(const SimulatorProcess& sim, const fs::path& data_dir, const std::string& in_flight,
                                const fs::path& cwd, Env extra = {}) {
    return run_soi({"--config", config_dir(), "backfill", "--source", "spy", "--from", kFrom, "--to", kTo,
                    "--base-url", sim.base_url(), "--data-dir", data_dir.string(), "--json"},
                   env(in_flight, std::move(extra)), cwd);
  }
  static std::string parquet(const fs::path& data_dir) {
    return "read_parquet('" + (data_dir / "raw/spy/*/*.parquet").string() + "', hive_partitioning = true)";
  }
  static std::string q(const std::string& sql) { return duckdb_scalar(sql); }
  static std::string qdb(const fs::path& data_dir, const std::string& sql) {
    return duckdb_scalar("ATTACH '" + (data_dir / "processed/consolidated/market.duckdb").string() +
                         "' AS m (READ_ONLY); USE m; " + sql);
  }
  // Rows of `a` missing from `b`, over the market columns and the day.
  static std::string missing(const fs::path& a, const fs::path& b) {
    const std::string cols = "date, ticker, ts, open, high, low, close, volume, vwap, transactions";
    return q("SELECT count(*) FROM (SELECT " + cols + " FROM " + parquet(a) + " EXCEPT ALL SELECT " + cols +
             " FROM " + parquet(b) + ")");
  }

  TempDir work_;
};

// Arrival times (epoch ms) of the data requests in a `--request-log` file.
std::vector<std::int64_t> request_times(const fs::path& log) {
  std::vector<std::int64_t> times;
  std::istringstream in(read_file(log));
  std::int64_t ms = 0;
  int status = 0;
  std::string path;
  while (in >> ms >> status >> path)
    if (path.rfind("/_sim/", 0) != 0) times.push_back(ms);
  std::sort(times.begin(), times.end());
  return times;
}

// The most requests that arrived within any one-second window [t, t + 1000 ms).
std::size_t busiest_second(const std::vector<std::int64_t>& times) {
  std::size_t most = 0;
  std::size_t first = 0;
  for (std::size_t last = 0; last < times.size(); ++last) {
    while (times[last] - times[first] >= 1000) ++first;
    most = std::max(most, last - first + 1);
  }
  return most;
}

TEST_F(BackfillInFlightTest, UnderFaultsEveryDayIsStoredAndEqualsASequentialRunRowForRow) {
  const fs::path sequential = work_.path() / "sequential";
  {
    SimulatorProcess clean;
    const auto r = backfill(clean, sequential, "1", work_.path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const fs::path log = work_.path() / "requests.log";
  SimulatorProcess sim({"--request-log", log.string(), "--fault", "rate_limit:every=9:retry_after=1:path=/v2/aggs",
                        "--fault", "server_error:status=503:every=7:path=/v2/aggs", "--fault",
                        "drop:every=11:path=/v2/aggs"});
  const fs::path parallel = work_.path() / "parallel";
  const auto r = backfill(sim, parallel, "4", work_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("\"status\":\"ok\""), std::string::npos) << r.out;
  for (const auto& day : kDays) EXPECT_TRUE(fs::exists(parallel / "raw/spy" / ("date=" + day) / "data.parquet")) << day;

  // Every fault really happened.
  const std::string stats = http_get(sim.base_url(), "/_sim/stats");
  for (const char* kind : {"rate_limit", "server_error", "drop"})
    EXPECT_EQ(stats.find(std::string("\"") + kind + "\":0"), std::string::npos) << kind << ": " << stats;

  // Row for row what one day at a time stored, in Parquet and in the consolidated database.
  EXPECT_EQ(q("SELECT count(*) FROM " + parquet(parallel)), q("SELECT count(*) FROM " + parquet(sequential)));
  EXPECT_EQ(missing(sequential, parallel), "0");
  EXPECT_EQ(missing(parallel, sequential), "0");
  EXPECT_EQ(qdb(parallel, "SELECT count(*) FROM spy_bars"), q("SELECT count(*) FROM " + parquet(sequential)));
  EXPECT_EQ(qdb(parallel, "SELECT count(*) - count(DISTINCT ts) FROM spy_bars"), "0");

  // Never more than max_requests_per_second in any one second, retries and 429s included.
  const auto times = request_times(log);
  ASSERT_GT(times.size(), kDays.size() * 5);
  EXPECT_LE(busiest_second(times), static_cast<std::size_t>(kRequestsPerSecond));
  EXPECT_EQ(files_containing(work_.path(), kKey).size(), 0u);
}

TEST_F(BackfillInFlightTest, AFailedDayIsReportedAndTheOthersAreKept) {
  // Every request of 2025-01-16's session (09:30 New York = 14:30 UTC) fails.
  SimulatorProcess sim({"--fault", "server_error:status=500:path=/v2/aggs/ticker/SPY/range/1/second/1737037800000/"});
  const fs::path data = work_.path() / "data";
  const auto r = backfill(sim, data, "4", work_.path(), {{"SOI_RETRY_POLICY_MAX_ATTEMPTS", "2"}});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("\"days_failed\":1"), std::string::npos) << r.out;
  for (const auto& day : kDays)
    EXPECT_EQ(fs::exists(data / "raw/spy" / ("date=" + day) / "data.parquet"), day != "2025-01-16") << day;
  EXPECT_NE(read_file(data / "logs/errors/errors.log").find("[server]"), std::string::npos);
}

TEST_F(BackfillInFlightTest, ARerunReplacesTheDaysWithNoDuplicates) {
  SimulatorProcess sim;
  const fs::path data = work_.path() / "data";
  const auto first = backfill(sim, data, "8", work_.path());
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string rows = q("SELECT count(*) FROM " + parquet(data));
  const auto second = backfill(sim, data, "8", work_.path());
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(q("SELECT count(*) FROM " + parquet(data)), rows);
  EXPECT_EQ(q("SELECT count(DISTINCT run_id) FROM " + parquet(data)), "1");  // every day from the rerun
  EXPECT_EQ(q("SELECT count(*) - count(DISTINCT ts) FROM " + parquet(data)), "0");
  EXPECT_EQ(files_under(data / "raw/spy").size(), kDays.size());  // one file a day, no temp leftovers
  EXPECT_EQ(qdb(data, "SELECT count(*) FROM spy_bars"), rows);
  EXPECT_EQ(qdb(data, "SELECT count(DISTINCT run_id) FROM spy_bars"), "1");
}

TEST_F(BackfillInFlightTest, AllFeedsRunConcurrentlyAndAnAuthFailureStopsEveryOne) {
  SimulatorProcess sim({"--api-key", "the-right-key-0000"});
  const fs::path data = work_.path() / "data";
  const auto r = run_soi({"--config", config_dir(), "backfill", "--source", "all", "--from", kFrom, "--to", kTo,
                          "--base-url", sim.base_url(), "--data-dir", data.string(), "--json"},
                         env("8", {{"SOI_SOURCES_CALENDAR_USE_MARKET_STATUS_API", "false"}}), work_.path());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("authentication failed (HTTP 401)"), std::string::npos) << r.err;
  // Every feed is reported, stopped, with nothing stored.
  for (const char* feed : {"spy", "vix", "options", "news"})
    EXPECT_NE(r.out.find(std::string("\"feed\":\"") + feed + "\""), std::string::npos) << feed << ": " << r.out;
  EXPECT_EQ(r.out.find("\"days_skipped\":0,"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(data / "raw/spy"));
  EXPECT_EQ(files_containing(work_.path(), kKey).size(), 0u);
}

}  // namespace
}  // namespace soi::it
