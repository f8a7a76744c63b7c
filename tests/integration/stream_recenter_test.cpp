// Re-centring on demand: `soi recenter` (SIGUSR1 to the running stream) makes
// the stream centre the options band on SPY's last price; the contracts it
// already tracked stay tracked and the day's universe is rewritten with the
// new centre (open_source "recenter"); a restart after kill -9 keeps them.
#include <gtest/gtest.h>

#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "support/process.hpp"
#include "support/stream_fixture.hpp"

namespace soi::it {
namespace {

namespace fs = std::filesystem;

TEST(StreamRecenterTest, RecenterKeepsTrackedContractsAndRecordsTheNewCentre) {
  TempDir work;
  const fs::path data = work.path() / "data";
  const fs::path contracts = partition(data, "options_contracts", kStreamDay);
  // Started at 13:00: the band is centred on the day's open (`op`, 569.63 in the
  // synthetic market), while SPY trades about $4 lower by then.
  SimulatorProcess sim(sim_args("2025-01-17T12:59:50-05:00", "1000"));
  auto stream = start_stream(sim, data);
  ASSERT_TRUE(wait_until([&] { return fs::exists(contracts); }, 30)) << stream->err_so_far();
  const std::string scan = "read_parquet('" + contracts.string() + "')";
  const std::int64_t first = std::stoll(duckdb_scalar("SELECT count(*) FROM " + scan));
  EXPECT_EQ(duckdb_scalar("SELECT any_value(open_source) FROM " + scan), "ws_op");
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // a last SPY price to centre on

  auto recenter = run_soi({"--config", config_dir(), "recenter", "--data-dir", data.string()}, {}, work.path(), 30);
  ASSERT_EQ(recenter.exit_code, 0) << recenter.err << recenter.out;
  ASSERT_TRUE(wait_until(
      [&] { return duckdb_scalar("SELECT any_value(open_source) FROM read_parquet('" + contracts.string() + "')") ==
                   "recenter"; },
      30))
      << stream->err_so_far();

  const std::int64_t recentred = std::stoll(duckdb_scalar("SELECT count(*) FROM " + scan));
  // Killed and restarted: the restarted run keeps tracking the re-centred contracts.
  stream->signal(SIGKILL);
  stream->wait(30);
  auto r = run_stream(sim, data);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(json_field(r.out, "status"), "ok") << r.out;
  EXPECT_GT(json_int(r.out, "replayed") + json_int(r.out, "gap_bars"), 0) << r.out;
  const std::int64_t after = std::stoll(duckdb_scalar("SELECT count(*) FROM " + scan));
  EXPECT_GE(after, first) << "contracts tracked before the re-centre stay in the universe";
  EXPECT_GE(after, recentred) << "a restart keeps the re-centred contracts";
  std::printf("universe: %lld contracts at the open, %lld after the re-centre\n", static_cast<long long>(first),
              static_cast<long long>(after));
  EXPECT_EQ(json_int(r.out, "contracts"), after);
  ASSERT_GT(after, first) << "SPY is well below the open: the new band adds lower strikes";
  // The added contracts were subscribed: their bars since the re-centre are stored.
  EXPECT_GT(std::stoll(duckdb_scalar("SELECT count(DISTINCT ticker) FROM " + feed_scan(data, "options"))), first);
  // The new centre is SPY's last price at the time, inside the band it defines.
  EXPECT_EQ(duckdb_scalar("SELECT bool_and(underlying_open BETWEEN strike_low AND strike_high) FROM " + scan), "true");
  EXPECT_EQ(duplicate_keys(data, "options"), 0);

  // The after-close backfill of `soi run` (--keep-tracked-contracts): the day is
  // replaced from REST, and the re-centred contracts keep their (corrected) bars.
  const auto streamed_tickers =
      std::stoll(duckdb_scalar("SELECT count(DISTINCT ticker) FROM " + feed_scan(data, "options")));
  auto backfill = [&](bool keep) {
    std::vector<std::string> args = {"--config", config_dir(), "backfill", "--source", "options", "--from",
                                     kStreamDay, "--base-url", sim.base_url(), "--data-dir", data.string(), "--json"};
    // A named string: GCC 12 misreads the inlined copy of this literal as out of bounds.
    static const std::string keep_tracked = "--keep-tracked-contracts";
    if (keep) args.push_back(keep_tracked);
    return run_soi(args, {{"MASSIVE_API_KEY", kStreamKey}}, work.path(), 120);
  };
  auto kept = backfill(true);
  ASSERT_EQ(kept.exit_code, 0) << kept.err << kept.out;
  EXPECT_EQ(std::stoll(duckdb_scalar("SELECT count(*) FROM " + scan)), after) << "the tracked universe is kept";
  EXPECT_EQ(duckdb_scalar("SELECT any_value(open_source) FROM " + scan), "open_close") << "re-centred on the open";
  EXPECT_GE(std::stoll(duckdb_scalar("SELECT count(DISTINCT ticker) FROM " + feed_scan(data, "options"))),
            streamed_tickers)
      << "every streamed contract is still in the day";
  EXPECT_EQ(duplicate_keys(data, "options"), 0);
  // Without the flag a backfill rebuilds the universe from the open alone.
  auto rebuilt = backfill(false);
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.err << rebuilt.out;
  EXPECT_EQ(std::stoll(duckdb_scalar("SELECT count(*) FROM " + scan)), first);
}

}  // namespace
}  // namespace soi::it
