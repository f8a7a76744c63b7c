// Operating `soi stream`: closed markets, an early close, a stream started in
// the middle of the session, a sink too slow for the queue, a stalled feed
// raising a stale-stream alert, a graceful stop (SIGTERM) and its
// continuation, and one writer per data directory.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "monitoring/heartbeat.hpp"
#include "support/process.hpp"
#include "support/stream_fixture.hpp"
#include "utils/process_lock.hpp"

namespace soi::it {
namespace {

namespace fs = std::filesystem;
using std::chrono::steady_clock;

class StreamOpsTest : public ::testing::Test {
 protected:
  fs::path data() const { return work_.path() / "data"; }
  std::vector<std::string> gap_lines() const { return lines_of(data() / "logs" / "gaps.jsonl"); }
  std::string max_ny_time(const std::string& feed) const {
    return duckdb_scalar("SELECT strftime(max(ts) AT TIME ZONE 'America/New_York', '%H:%M:%S') FROM " +
                         feed_scan(data(), feed));
  }
  std::string min_ny_time(const std::string& feed) const {
    return duckdb_scalar("SELECT strftime(min(ts) AT TIME ZONE 'America/New_York', '%H:%M:%S') FROM " +
                         feed_scan(data(), feed));
  }

  TempDir work_;
};

// (a) Saturday, and Martin Luther King Jr. Day: nothing to stream, say when
// the next session opens, write no data.
TEST_F(StreamOpsTest, MarketClosedSaysWhenTheNextSessionOpens) {
  struct Case {
    const char* start;
    const char* why;
  };
  for (const Case& c : {Case{"2025-01-18T12:00:00-05:00", "market closed (weekend)"},
                        Case{"2025-01-20T10:00:00-05:00", "market closed (Martin Luther King Jr. Day)"}}) {
    SCOPED_TRACE(c.start);
    TempDir work;
    const fs::path dir = work.path() / "data";
    SimulatorProcess sim(sim_args(c.start, "1"));
    const auto started = steady_clock::now();
    auto r = run_stream(sim, dir, {}, 30);
    EXPECT_LT(steady_clock::now() - started, std::chrono::seconds(15));
    EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_NE(r.err.find(c.why), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("next session opens Tuesday 2025-01-21 09:30 America/New_York"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "raw"));
    EXPECT_FALSE(fs::exists(dir / "processed"));
    EXPECT_FALSE(fs::exists(dir / "manifests"));
    EXPECT_FALSE(fs::exists(dir / "logs" / "heartbeat"));
    EXPECT_FALSE(lock_is_held(dir.string()));
  }
}

// (b) Wednesday 2024-07-03 closes at 13:00: the session ends there, and the
// day equals its backfill.
TEST_F(StreamOpsTest, EarlyCloseDayEndsAtOnePm) {
  SimulatorProcess sim(sim_args("2024-07-03T09:29:50-04:00", "0"));
  auto r = run_stream(sim, data());
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(json_field(r.out, "status"), "ok") << r.out;
  EXPECT_EQ(json_field(r.out, "date"), "2024-07-03");
  for (const auto& feed : kBarFeeds) {
    SCOPED_TRACE(feed);
    EXPECT_TRUE(fs::exists(partition(data(), feed, "2024-07-03")));
    EXPECT_GE(min_ny_time(feed), "09:30:00");
    EXPECT_LT(max_ny_time(feed), "13:00:00");
  }
  EXPECT_GE(max_ny_time("vix"), "12:59:59");  // an index value every second up to the close
  EXPECT_EQ(feed_rows(data(), "vix"), 3 * 3600 + 1800);
  expect_equals_ground_truth(data(), ground_truth("2024-07-03"), "early close");
}

// A stream started at 15:30: the morning is repaired over REST (gap reason
// "start") and the day is complete.
TEST_F(StreamOpsTest, StartedMidSessionRepairsTheMorning) {
  SimulatorProcess sim(sim_args("2025-01-17T15:30:00-05:00", "1000"));
  auto r = run_stream(sim, data());
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(json_field(r.out, "status"), "ok") << r.out;
  std::set<std::string> repaired;
  for (const auto& line : gap_lines()) {
    if (json_field(line, "reason") != "start") continue;
    EXPECT_EQ(json_field(line, "start"), "2025-01-17T14:30:00.000Z") << line;  // from the open
    EXPECT_EQ(json_field(line, "error"), "null") << line;
    if (std::stoll(json_field(line, "bars_recovered")) > 20000) repaired.insert(json_field(line, "market"));
  }
  EXPECT_TRUE(repaired.count("stocks") && repaired.count("indices")) << read_file(data() / "logs/gaps.jsonl");
  expect_equals_ground_truth(data(), ground_truth(kStreamDay), "started at 15:30");
}

// (c) A queue of one batch and a commit every second: the writer, busy
// committing the day into Parquet and DuckDB, falls behind the readers; the
// overflow spills to disk, in order, and nothing is lost.
TEST_F(StreamOpsTest, SlowSinkSpillsTheQueueAndLosesNothing) {
  SimulatorProcess sim(sim_args(kBeforeOpen, "0"));
  auto r = run_stream(
      sim, data(),
      {{"SOI_SETTINGS_STREAM_QUEUE_CAPACITY_BATCHES", "1"}, {"SOI_SETTINGS_STREAM_COMMIT_INTERVAL_SECONDS", "1"}});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(json_field(r.out, "status"), "ok") << r.out;
  EXPECT_GT(json_int(r.out, "spilled_batches"), 0) << r.out;
  std::uint64_t spilled = 0;
  for (const char* market : {"stocks", "indices", "options"})
    spilled = std::max(
        spilled,
        read_heartbeat_file((data() / "logs/heartbeat" / (std::string(market) + "_status.json")).string()).spilled);
  EXPECT_GT(spilled, 0u) << "the heartbeats show the spilled records";
  expect_equals_ground_truth(data(), ground_truth(kStreamDay), "spilled queue");
}

// (d) Every feed goes silent for 6 s (wall) every 5 simulated minutes while
// heartbeats are written every second and 2 s of silence is stale: the errors
// log names the stale stream. Then a stop. (every_s rather than at=: however
// late the stream connects, it passes the next stall.)
TEST_F(StreamOpsTest, StalledFeedRaisesAStaleStreamAlert) {
  SimulatorProcess sim(sim_args(kBeforeOpen, "200", {"ws_stall:every_s=300:duration_ms=6000"}));
  auto stream = start_stream(
      sim, data(),
      {{"SOI_SETTINGS_STREAM_HEARTBEAT_INTERVAL_SECONDS", "1"}, {"SOI_SETTINGS_STREAM_STALE_HEARTBEAT_SECONDS", "2"}});
  const bool alerted = wait_until(
      [&] { return errors_log(data()).find("ALERT stale heartbeat: no stocks message for") != std::string::npos; }, 30);
  stream->signal(SIGTERM);
  auto r = stream->wait(60);
  ASSERT_TRUE(alerted) << "exit " << r.exit_code << "\n"
                       << errors_log(data()) << r.err << r.out << http_get(sim.base_url(), "/_sim/stats");
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  const std::string errors = errors_log(data());
  EXPECT_NE(errors.find("threshold 2 s"), std::string::npos) << errors;
  EXPECT_NE(errors.find("(source=stocks)"), std::string::npos) << errors;
  EXPECT_NE(r.err.find("ALERT stale heartbeat"), std::string::npos) << r.err;
  EXPECT_EQ(read_heartbeat_file((data() / "logs/heartbeat/stocks_status.json").string()).interval_seconds, 1);
}

// (e) SIGTERM mid-session: the day so far is committed and the run says
// "stopped" (exit 0); a second run the same day completes it.
TEST_F(StreamOpsTest, SigtermCommitsThePartialDayAndASecondRunCompletesIt) {
  {
    SimulatorProcess sim(sim_args(kBeforeOpen, "1000"));
    auto stream = start_stream(sim, data());
    ASSERT_TRUE(wait_until([&] { return fs::exists(partition(data(), "spy", kStreamDay)); }, 30))
        << stream->err_so_far();
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    stream->signal(SIGTERM);
    auto r = stream->wait(60);
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_EQ(json_field(r.out, "status"), "stopped") << r.out;
    EXPECT_EQ(json_field(r.out, "stopped"), "true");
    EXPECT_EQ(json_field(r.out, "ok"), "true");
    // Everything received is committed: the partition holds what the summary counts.
    EXPECT_EQ(json_feed_rows(r.out, "spy"), feed_rows(data(), "spy")) << r.out;
    EXPECT_EQ(json_feed_rows(r.out, "vix"), feed_rows(data(), "vix")) << r.out;
    EXPECT_GT(feed_rows(data(), "spy"), 100);
    EXPECT_LT(max_ny_time("spy"), "15:00:00") << "stopped early in the day";
    EXPECT_EQ(rows_missing_from(data(), ground_truth(kStreamDay), "spy"), 0);
    EXPECT_EQ(rows_missing_from(data(), ground_truth(kStreamDay), "vix"), 0);
    EXPECT_FALSE(lock_is_held(data().string()));
  }
  // Later the same day (the simulated market went on without us).
  SimulatorProcess sim(sim_args("2025-01-17T12:00:00-05:00", "0"));
  auto r = run_stream(sim, data());
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(json_field(r.out, "status"), "ok") << r.out;
  EXPECT_NE(read_file(data() / "logs/gaps.jsonl").find("\"reason\":\"restart\""), std::string::npos);
  expect_equals_ground_truth(data(), ground_truth(kStreamDay), "stopped and restarted");
}

// (f) One writer per data directory: a second stream is refused (exit 2) with
// the holder's pid; soi status shows the running stream.
TEST_F(StreamOpsTest, SecondStreamOnTheSameDataDirectoryIsRefused) {
  SimulatorProcess sim(sim_args("2025-01-17T10:00:00-05:00", "1"));
  auto first = start_stream(sim, data(), {{"SOI_SETTINGS_STREAM_HEARTBEAT_INTERVAL_SECONDS", "1"}});
  ASSERT_TRUE(wait_until(
      [&] {
        auto info = read_lock_info(data().string());
        return lock_is_held(data().string()) && info && info->pid == first->pid() &&
               fs::exists(data() / "logs/heartbeat/stocks_status.json");
      },
      30))
      << first->err_so_far();
  auto second = run_stream(sim, data(), {}, 30);
  EXPECT_EQ(second.exit_code, 2) << second.err << second.out;
  EXPECT_NE(second.err.find("in use by soi pid " + std::to_string(first->pid())), std::string::npos) << second.err;

  auto status = run_soi({"--config", config_dir(), "status", "--data-dir", data().string()},
                        {{"MASSIVE_API_KEY", kStreamKey}}, work_.path());
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_NE(status.out.find("running: soi pid " + std::to_string(first->pid())), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("stream stocks: fresh"), std::string::npos) << status.out;

  first->signal(SIGTERM);
  auto r = first->wait(60);
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(json_field(r.out, "status"), "stopped") << r.out;
  EXPECT_FALSE(lock_is_held(data().string()));
  EXPECT_EQ(second.err.find(kStreamKey), std::string::npos);
}

}  // namespace
}  // namespace soi::it
