// `soi stream` against a misbehaving WebSocket feed (simulator faults) and a
// stream that is killed: whatever happens, the day ends equal to the REST
// backfill of the same day, what could not be stored is quarantined with a
// reason, and fatal problems end the run with a clear status.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "monitoring/heartbeat.hpp"
#include "support/process.hpp"
#include "support/stream_fixture.hpp"

namespace soi::it {
namespace {

namespace fs = std::filesystem;

class StreamFaultsTest : public ::testing::Test {
 protected:
  fs::path data() const { return work_.path() / "data"; }
  std::vector<std::string> gap_lines() const { return lines_of(data() / "logs" / "gaps.jsonl"); }
  // Every quarantined record, whatever its feed and day.
  std::vector<std::string> quarantine_lines() const {
    std::vector<std::string> out;
    for (const auto& f : files_under(data() / "quarantine"))
      for (auto& line : lines_of(f)) out.push_back(std::move(line));
    return out;
  }
  static std::size_t lines_with(const std::vector<std::string>& lines, const std::string& needle) {
    std::size_t n = 0;
    for (const auto& l : lines) n += l.find(needle) != std::string::npos;
    return n;
  }
  void expect_no_key(const ProcessResult& r) const {
    EXPECT_EQ(r.out.find(kStreamKey), std::string::npos);
    EXPECT_EQ(r.err.find(kStreamKey), std::string::npos);
    EXPECT_TRUE(files_containing(work_.path(), kStreamKey).empty());
  }

  // Messages the stocks connection received, from its heartbeat (0 before the first one).
  std::uint64_t stocks_messages() const {
    const fs::path hb = data() / "logs/heartbeat/stocks_status.json";
    try {
      return fs::exists(hb) ? read_heartbeat_file(hb.string()).messages_total : 0u;
    } catch (const std::exception&) {
      return 0;  // being rewritten
    }
  }

  TempDir work_;
};

// (a) The connections are closed every 3000 simulated seconds, and once dropped
// without a close frame at 13:33: every reconnect repairs its gap over REST.
TEST_F(StreamFaultsTest, DroppedConnectionsReconnectAndRepairTheirGaps) {
  SimulatorProcess sim(sim_args(kBeforeOpen, "2000", {"ws_close:every_s=3000", "ws_close:mode=drop:at=13:33"}));
  auto r = run_stream(sim, data());
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(json_field(r.out, "status"), "ok") << r.out;
  const std::int64_t reconnects = json_int(r.out, "reconnects");
  EXPECT_GE(reconnects, 6) << r.out;  // 7 closes a day per connection
  const std::string stats = http_get(sim.base_url(), "/_sim/stats");
  EXPECT_EQ(stats.find("\"ws_close\":0"), std::string::npos) << stats;

  const auto gaps = gap_lines();
  std::int64_t recovered = 0;
  std::size_t reconnect_lines = 0, drop_at_1333 = 0;
  for (const auto& line : gaps) {
    if (json_field(line, "reason") != "reconnect") continue;
    ++reconnect_lines;
    EXPECT_EQ(json_field(line, "error"), "null") << line;
    EXPECT_FALSE(json_field(line, "bars_recovered").empty()) << line;
    EXPECT_LT(json_field(line, "start"), json_field(line, "end")) << line;
    recovered += std::stoll(json_field(line, "bars_recovered"));
    // 13:33 New York is 18:33Z: the dropped connection's gap starts at its last second before it.
    const std::string start = json_field(line, "start");
    if (json_field(line, "market") == "stocks" && start >= "2025-01-17T18:32:30" && start < "2025-01-17T18:33:01")
      ++drop_at_1333;
  }
  EXPECT_GE(reconnect_lines, static_cast<std::size_t>(reconnects) / 2) << "reconnects without a gap repair";
  EXPECT_GT(recovered, 0);
  EXPECT_EQ(drop_at_1333, 1u) << "no repair of the 13:33 drop on the stocks connection";
  EXPECT_EQ(json_int(r.out, "gaps"), static_cast<std::int64_t>(gaps.size()));
  EXPECT_EQ(json_int(r.out, "gap_bars"), [&] {
    std::int64_t all = 0;
    for (const auto& line : gaps) all += std::stoll(json_field(line, "bars_recovered"));
    return all;
  }());
  EXPECT_GT(read_heartbeat_file((data() / "logs/heartbeat/stocks_status.json").string()).reconnects, 0u);
  expect_equals_ground_truth(data(), ground_truth(kStreamDay), "reconnects");
  expect_no_key(r);
}

// (b) kill -9 twice during the day, each time restarted (later in the day:
// the simulated market went on meanwhile), then a run to the close.
TEST_F(StreamFaultsTest, KilledTwiceAndRestartedEndsWithExactlyTheDay) {
  const Env fast_heartbeat{{"SOI_SETTINGS_STREAM_HEARTBEAT_INTERVAL_SECONDS", "1"},
                           {"SOI_SETTINGS_STREAM_STALE_HEARTBEAT_SECONDS", "60"}};
  {
    // Run 1 commits every 2 s: killed after its first commit, with more received since.
    SimulatorProcess sim(sim_args(kBeforeOpen, "1000"));
    auto stream = start_stream(sim, data(), fast_heartbeat);
    ASSERT_TRUE(wait_until([&] { return fs::exists(partition(data(), "spy", kStreamDay)); }, 30))
        << stream->err_so_far();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    stream->signal(SIGKILL);
    EXPECT_EQ(stream->wait().exit_code, 128 + SIGKILL);
  }
  const std::int64_t committed_after_first = feed_rows(data(), "spy");
  EXPECT_GT(committed_after_first, 0);
  {
    // Run 2 never commits on its own: what it receives lives only in the write-ahead log.
    SimulatorProcess sim(sim_args("2025-01-17T11:00:00-05:00", "1000"));
    Env env = fast_heartbeat;
    env["SOI_SETTINGS_STREAM_COMMIT_INTERVAL_SECONDS"] = "3600";
    fs::remove(data() / "logs/heartbeat/stocks_status.json");
    auto stream = start_stream(sim, data(), env);
    ASSERT_TRUE(wait_until([&] { return stocks_messages() > 1000; }, 30)) << stream->err_so_far();
    stream->signal(SIGKILL);
    EXPECT_EQ(stream->wait().exit_code, 128 + SIGKILL);
  }
  // Run 3 to the close.
  SimulatorProcess sim(sim_args("2025-01-17T13:00:00-05:00", "0"));
  auto r = run_stream(sim, data());
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(json_field(r.out, "status"), "ok") << r.out;
  EXPECT_GT(json_int(r.out, "replayed"), 1000) << "run 2's bars must come back from the write-ahead log: " << r.out;
  const auto gaps = gap_lines();
  EXPECT_GE(lines_with(gaps, "\"reason\":\"restart\""), 2u) << "each restart repairs from its last second";
  for (const auto& line : gaps) EXPECT_EQ(json_field(line, "error"), "null") << line;
  expect_equals_ground_truth(data(), ground_truth(kStreamDay), "after two kills");
  EXPECT_EQ(json_feed_rows(r.out, "spy"), feed_rows(data(), "spy"));
  expect_no_key(r);
}

// (c) A frame that is not JSON and an event of an unknown type, every half hour
// or so on every connection: both quarantined with a reason, the day intact.
TEST_F(StreamFaultsTest, MalformedAndUnknownEventsAreQuarantined) {
  SimulatorProcess sim(sim_args(kBeforeOpen, "0", {"ws_malformed:every_s=1800", "ws_unknown_event:every_s=2400"}));
  auto r = run_stream(sim, data());
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(json_field(r.out, "status"), "ok") << r.out;
  for (const char* feed : {"spy", "vix"}) {
    const fs::path file = data() / "quarantine" / feed / ("date=" + std::string(kStreamDay)) / "records.jsonl";
    ASSERT_TRUE(fs::exists(file)) << feed;
    const auto lines = lines_of(file);
    EXPECT_GE(lines_with(lines, "\"reason\":\"frame is not"), 12u) << feed;                  // 23400 s / 1800 s
    EXPECT_GE(lines_with(lines, "\"reason\":\"unknown event type \\\"ZZ\\\""), 9u) << feed;  // 23400 s / 2400 s
    for (const auto& line : lines) {
      EXPECT_NE(line.find("\"raw\":\""), std::string::npos) << line;  // kept verbatim
      EXPECT_NE(line.find("\"url\":\"ws://"), std::string::npos) << line;
    }
  }
  // The summary counts what went to quarantine.
  EXPECT_EQ(json_int(r.out, "quarantined"), static_cast<std::int64_t>(quarantine_lines().size())) << r.out;
  expect_equals_ground_truth(data(), ground_truth(kStreamDay), "malformed events");
}

// (d) At 09:45 the stocks and indices feeds re-send bars of the previous
// trading day (lag 70000 s: Thursday 14:18): late data, quarantined.
TEST_F(StreamFaultsTest, BarsOfThePreviousDayAreQuarantinedAsLate) {
  SimulatorProcess sim(sim_args(
      kBeforeOpen, "0", {"ws_late:at=09:45:lag_s=70000:path=/stocks", "ws_late:at=09:45:lag_s=70000:path=/indices"}));
  auto r = run_stream(sim, data());
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(json_field(r.out, "status"), "ok") << r.out;
  EXPECT_GE(json_int(r.out, "late"), 2) << r.out;  // SPY and I:VIX
  EXPECT_GE(json_int(r.out, "quarantined"), json_int(r.out, "late"));
  for (const char* feed : {"spy", "vix"}) {
    const fs::path file = data() / "quarantine" / feed / "date=2025-01-16" / "records.jsonl";
    ASSERT_TRUE(fs::exists(file)) << feed;
    const std::string text = read_file(file);
    EXPECT_NE(text.find("\"reason\":\"late_data: record from 2025-01-16"), std::string::npos) << text;
    EXPECT_NE(text.find("\"raw\":"), std::string::npos) << text;
    EXPECT_FALSE(fs::exists(data() / "raw" / feed / "date=2025-01-16")) << "late bars written into their day";
  }
  expect_equals_ground_truth(data(), ground_truth(kStreamDay), "late bars");
}

// (e) The server refuses the key: nothing to retry, exit 1 with the reason.
TEST_F(StreamFaultsTest, RefusedAuthenticationFailsTheRun) {
  SimulatorProcess sim(sim_args(kBeforeOpen, "0", {"ws_refuse_auth"}));
  auto r = run_stream(sim, data(), {}, 60);
  sim.kill_now();  // its refused sessions linger ~10 s on a graceful stop
  EXPECT_EQ(r.exit_code, 1) << r.err << r.out;
  EXPECT_EQ(json_field(r.out, "status"), "failed") << r.out;
  EXPECT_EQ(json_field(r.out, "error_category"), "auth") << r.out;
  EXPECT_NE(json_field(r.out, "error").find("authentication refused"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("soi: stream 2025-01-17 failed (auth)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("check the key"), std::string::npos) << r.err;
  EXPECT_NE(errors_log(data()).find("[auth]"), std::string::npos);
  EXPECT_EQ(json_int(r.out, "reconnects"), 0) << "an auth error must not be retried";
  for (const auto& feed : kBarFeeds) EXPECT_EQ(feed_rows(data(), feed), 0) << feed;
  expect_no_key(r);
}

// (f) The universe (24 contracts) needs 3 connections of 10 subscriptions but
// the account allows 1: 10 contracts are streamed, the 14 others are reported
// (naming the setting) and the run still ends ok.
TEST_F(StreamFaultsTest, ContractsBeyondTheConnectionLimitAreReported) {
  SimulatorProcess sim(sim_args(kBeforeOpen, "0"));
  auto r = run_stream(sim, data(),
                      {{"SOI_SOURCES_WEBSOCKET_MAX_SUBSCRIPTIONS_PER_CONNECTION", "10"},
                       {"SOI_SOURCES_WEBSOCKET_MAX_CONNECTIONS_PER_MARKET", "1"}});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(json_field(r.out, "status"), "ok") << r.out;
  EXPECT_EQ(json_int(r.out, "contracts"), 24) << r.out;
  EXPECT_EQ(json_int(r.out, "connections"), 3) << r.out;  // stocks, indices, one options connection
  const std::string said = "14 option contract(s) are not streamed";
  EXPECT_NE(r.err.find(said), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("websocket.max_connections_per_market allows 1"), std::string::npos) << r.err;
  EXPECT_NE(errors_log(data()).find(said), std::string::npos) << errors_log(data());
  // The 10 streamed contracts are complete; nothing else is stored for the others.
  const fs::path truth = ground_truth(kStreamDay);
  EXPECT_EQ(duckdb_scalar("SELECT count(DISTINCT ticker) FROM " + feed_scan(data(), "options")), "10");
  EXPECT_EQ(rows_missing_from(data(), truth, "options"), 0);
  EXPECT_EQ(duckdb_scalar("SELECT count(*) FROM " + feed_scan(truth, "options") +
                          " WHERE ticker IN (SELECT DISTINCT ticker FROM " + feed_scan(data(), "options") + ")"),
            std::to_string(feed_rows(data(), "options")));
  for (const char* feed : {"spy", "vix"}) {
    EXPECT_EQ(rows_missing_from(data(), truth, feed), 0) << feed;
    EXPECT_EQ(rows_missing_from(truth, data(), feed), 0) << feed;
  }
}

// A connection that goes silent just before the close (the server stalls for
// longer than the close grace) still ends with the whole day: its last
// minutes are repaired over REST like any other gap.
TEST_F(StreamFaultsTest, ConnectionSilentAtTheCloseIsRepairedToTheClose) {
  SimulatorProcess sim(
      sim_args("2025-01-17T15:00:00-05:00", "1000", {"ws_stall:path=/stocks:at=15:55:duration_ms=10000"}));
  auto r = run_stream(sim, data());
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const std::string stats = http_get(sim.base_url(), "/_sim/stats");
  ASSERT_NE(stats.find("\"ws_stall\":1"), std::string::npos) << "the stream connected after 15:55? " << stats;
  EXPECT_EQ(duckdb_scalar("SELECT strftime(max(ts) AT TIME ZONE 'America/New_York', '%H:%M') FROM " +
                          feed_scan(data(), "spy")),
            "15:59")
      << "the SPY bars after the stall (15:55) are missing";
  EXPECT_EQ(rows_missing_from(ground_truth(kStreamDay), data(), "spy"), 0) << "SPY bars lost: " << r.out;
  expect_equals_ground_truth(data(), ground_truth(kStreamDay), "stall over the close");
}

// A stream started at 15:30 repairs the morning of I:VIX over REST on the
// gap-repair thread while the session's thread discovers the options universe
// (vix.base_url equals rest_base_url here, as with the default sources.yaml).
// Slow answers make the two overlap; each must get its data. (Regression: the
// repair once used the session's own RestClient, one libcurl handle for two
// threads: "easy handle already used in multi handle", a lost universe or a
// corrupted VIX page.)
TEST_F(StreamFaultsTest, GapRepairAndUniverseDiscoveryOverlap) {
  SimulatorProcess sim(sim_args(
      "2025-01-17T15:30:00-05:00", "1000",
      {"slow:delay_ms=1000:path=/v2/aggs/ticker/I:VIX", "slow:delay_ms=1000:path=/v3/reference/options/contracts"}));
  auto r = run_stream(sim, data());
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(json_int(r.out, "contracts"), 24) << r.out;
  EXPECT_EQ(errors_log(data()).find("network error"), std::string::npos) << errors_log(data());
  expect_equals_ground_truth(data(), ground_truth(kStreamDay), "started mid-session");
}

// At speed 0 the simulated market runs ahead as fast as any connection reads:
// a connection that reconnects after the others reached the close resumes in
// the next session. The stream of 2025-01-17 must still write only its own day
// (the late-data policy only ever lets earlier days in).
TEST_F(StreamFaultsTest, BarsOfALaterDayAreNotWrittenIntoTheirDay) {
  SimulatorProcess sim(sim_args(kBeforeOpen, "0", {"ws_close:path=/stocks:at=12:00"}));
  // The stocks connection reconnects 2 s later: by then the indices connection has streamed to the close.
  auto r = run_stream(sim, data(),
                      {{"SOI_RETRY_POLICY_INITIAL_BACKOFF_MS", "2000"}, {"SOI_RETRY_POLICY_MAX_BACKOFF_MS", "2000"}});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_GE(json_int(r.out, "reconnects"), 1) << r.out;
  std::vector<std::string> days;
  for (const auto& f : files_under(data() / "raw"))
    if (f.parent_path().filename() != "date=" + std::string(kStreamDay)) days.push_back(f.string());
  EXPECT_TRUE(days.empty()) << "the stream of " << kStreamDay << " wrote " << days.size()
                            << " other partition(s), e.g. " << (days.empty() ? "" : days.front());
  for (const auto& line : gap_lines())
    EXPECT_LE(json_field(line, "end"), std::string("2025-01-17T21:00:00.000Z")) << "gap past the close: " << line;
  expect_equals_ground_truth(data(), ground_truth(kStreamDay), "reconnect after the close");
}

// (h) Killed with what it received only in the write-ahead log, then the day is
// backfilled over REST (what `soi run` does after the close when the stream's
// last commit failed): the next run's replay must not put those older streamed
// bars back over the backfill's, which carry transactions the stream lacks.
TEST_F(StreamFaultsTest, AReplayDoesNotOverwriteALaterBackfillOfTheDay) {
  const Env env{{"SOI_SETTINGS_STREAM_HEARTBEAT_INTERVAL_SECONDS", "1"},
                {"SOI_SETTINGS_STREAM_STALE_HEARTBEAT_SECONDS", "60"},
                {"SOI_SETTINGS_STREAM_COMMIT_INTERVAL_SECONDS", "3600"}};
  {
    SimulatorProcess sim(sim_args(kBeforeOpen, "1000"));
    auto stream = start_stream(sim, data(), env);
    ASSERT_TRUE(wait_until([&] { return stocks_messages() > 1000; }, 30)) << stream->err_so_far();
    stream->signal(SIGKILL);
    EXPECT_EQ(stream->wait().exit_code, 128 + SIGKILL);
  }
  const std::string spy = feed_scan(data(), "spy");
  {
    SimulatorProcess sim(sim_args("2025-01-17T16:05:00-05:00", "0"));  // REST has the whole day
    auto b = run_soi({"--config", config_dir(), "backfill", "--source", "spy", "--from", kStreamDay, "--base-url",
                      sim.base_url(), "--data-dir", data().string(), "--json"},
                     {{"MASSIVE_API_KEY", kStreamKey}}, work_.path(), 120);
    ASSERT_EQ(b.exit_code, 0) << b.err << b.out;
    ASSERT_EQ(duckdb_scalar("SELECT count(*) FROM " + spy + " WHERE transactions IS NULL"), "0");
  }
  // The stream again for the day's last minute: it replays the log first.
  SimulatorProcess sim(sim_args("2025-01-17T15:59:00-05:00", "0"));
  auto r = run_stream(sim, data());
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(json_field(r.out, "status"), "ok") << r.out;
  EXPECT_GT(json_int(r.out, "replayed"), 0) << "the other feeds' records still replay: " << r.out;
  EXPECT_EQ(duckdb_scalar("SELECT count(*) FROM " + spy +
                          " WHERE transactions IS NULL AND ts < TIMESTAMPTZ '2025-01-17 15:59:00-05'"),
            "0")
      << "streamed bars received before the backfill replaced the backfill's";
  expect_equals_ground_truth(data(), ground_truth(kStreamDay), "replay after a backfill");
  expect_no_key(r);
}

}  // namespace
}  // namespace soi::it
