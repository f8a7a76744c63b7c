// `soi run` killed in a session and started again after that day's close: the
// day it streamed was never backfilled, so the restarted daemon backfills it
// before it waits for the next session, and the day then equals a clean
// backfill row for row. A day whose backfill succeeded is not backfilled again.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "support/process.hpp"
#include "support/stream_fixture.hpp"

namespace soi::it {
namespace {

namespace fs = std::filesystem;

// 17:00 New York, the day of the killed session: an hour after its close.
constexpr const char* kAfterClose = "2025-01-17T17:00:00-05:00";

class DaemonCatchUpTest : public ::testing::Test {
 protected:
  fs::path data() const { return work_.path() / "data"; }
  fs::path pending_file() const { return data() / "state/stream/pending_backfill.txt"; }
  std::vector<std::string> daemon_args(const SimulatorProcess& sim) const {
    return {"--config",     config_dir(),    "run",       "--json",     "--base-url",
            sim.base_url(), "--ws-base-url", ws_url(sim), "--data-dir", data().string()};
  }
  static Env daemon_env() { return stream_env({{"SOI_SETTINGS_STREAM_COMMIT_INTERVAL_SECONDS", "1"}}); }

  // The daemon streams the day at a fast simulated clock and is killed after its first commit.
  void kill_in_the_session() {
    SimulatorProcess sim(sim_args(kBeforeOpen, "600"));
    BackgroundSoi killed(daemon_args(sim), daemon_env(), work_.path());
    ASSERT_TRUE(wait_until([&] { return fs::exists(partition(data(), "spy", kStreamDay)); }, 60))
        << killed.err_so_far();
    killed.signal(SIGKILL);
    EXPECT_EQ(killed.wait(30).exit_code, 128 + SIGKILL);
  }

  TempDir work_;
};

TEST_F(DaemonCatchUpTest, ADayKilledInItsSessionIsBackfilledWhenTheDaemonStartsAfterTheClose) {
  kill_in_the_session();
  ASSERT_EQ(lines_of(pending_file()), std::vector<std::string>{kStreamDay});
  const std::int64_t streamed = feed_rows(data(), "spy");
  const fs::path truth = ground_truth(kStreamDay);
  ASSERT_LT(streamed, feed_rows(truth, "spy")) << "the killed session stored a fragment of the day";

  // After the close, with the simulator's clock standing still: no session is due.
  SimulatorProcess sim(sim_args(kAfterClose, "0"));
  BackgroundSoi daemon(daemon_args(sim), daemon_env(), work_.path());
  ASSERT_TRUE(wait_until([&] { return daemon.out_so_far().find("\"days\":") != std::string::npos; }, 120))
      << daemon.out_so_far() << daemon.err_so_far();
  ASSERT_TRUE(wait_until([&] { return lines_of(pending_file()).empty(); }, 10)) << read_file(pending_file());
  daemon.signal(SIGTERM);
  const ProcessResult r = daemon.wait(60);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_field(r.out, "status"), "ok") << r.out;
  expect_equals_ground_truth(data(), truth, "the killed day after its catch-up backfill");
  EXPECT_EQ(duckdb_file_scalar(data() / "processed/consolidated/market.duckdb", "SELECT count(*) FROM spy_bars"),
            std::to_string(feed_rows(truth, "spy")));

  // Started again: nothing is pending, so nothing is backfilled.
  BackgroundSoi again(daemon_args(sim), daemon_env(), work_.path());
  ASSERT_TRUE(wait_until([&] { return again.err_so_far().find("next session") != std::string::npos; }, 60))
      << again.err_so_far();
  again.signal(SIGTERM);
  const ProcessResult second = again.wait(60);
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out.find("\"days\":"), std::string::npos) << second.out;
  EXPECT_TRUE(files_containing(work_.path(), kStreamKey).empty());
}

}  // namespace
}  // namespace soi::it
