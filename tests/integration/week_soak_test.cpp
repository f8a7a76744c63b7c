// `soi run` (the daemon) against `soi simulate` on a fast simulated clock over
// several trading days with a holiday and an early close, under WebSocket
// drops, stalls, malformed and late frames, REST 429/5xx on the gap-repair and
// after-close backfill paths, and one kill -9 with a restart. Afterwards every
// trading day equals a clean backfill of the same days (Parquet and the
// consolidated DuckDB), the holiday is empty, the early close ends at 13:00,
// heartbeats and `soi status` tell the truth, logs rotate within their bound,
// memory does not grow from day to day and the API key is in no byte written.
//
// The span: 2024-11-27 to 2024-11-29 (a normal day, Thanksgiving, the 13:00
// close) by default; SOI_SOAK_SPAN=week runs 2024-11-25 to 2024-12-03
// (`make soak`, bench/soak.sh).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <thread>

#include "monitoring/heartbeat.hpp"
#include "support/process.hpp"
#include "support/sanitized_build.hpp"
#include "support/stream_fixture.hpp"
#include "utils/time_util.hpp"

namespace soi::it {
namespace {

namespace fs = std::filesystem;
using std::chrono::steady_clock;

struct SoakSpan {
  std::string name;
  std::string first_day;  // the daemon starts ten simulated seconds before its open; killed that day
  std::string last_day;
  std::vector<std::string> trading_days;
  std::string holiday;
  std::string early_close;  // closes at 13:00 New York
  std::string speed;        // simulated seconds per wall second
};

SoakSpan span_from_environment() {
  const char* chosen = std::getenv("SOI_SOAK_SPAN");
  if (chosen && std::string(chosen) == "week")
    return {"week",       "2024-11-25", "2024-12-03",
            {"2024-11-25", "2024-11-26", "2024-11-27", "2024-11-29", "2024-12-02", "2024-12-03"},
            "2024-11-28", "2024-11-29", "5000"};
  if (chosen && *chosen && std::string(chosen) != "short")
    ADD_FAILURE() << "SOI_SOAK_SPAN must be short or week, not " << chosen;
  return {"short", "2024-11-27", "2024-11-29", {"2024-11-27", "2024-11-29"}, "2024-11-28", "2024-11-29", "3000"};
}

// Each fault hits every trading day. Stream faults are timed in simulated New
// York time (at=) or every N simulated seconds of a connection (every_s=); the
// REST ones count aggregates requests, which both the gap repair and the
// after-close backfill make. No two stream faults share a second (the first
// listed would win): 14:20 is not a multiple of 90 minutes after the open.
const std::vector<std::string> kFaults = {
    "ws_close:every_s=5400",                     // each connection closed every 90 simulated minutes
    "ws_close:mode=drop:at=11:15:path=/stocks",  // a bare TCP drop, no close frame
    "ws_stall:at=14:20:duration_ms=400",         // 20+ silent simulated minutes
    "ws_malformed:every_s=3600",                 // a frame that is not JSON
    "ws_late:at=12:00:path=/indices",            // bars of 16 minutes earlier, again
    "rate_limit:every=9:retry_after=0:path=/v2/aggs",
    "server_error:status=502:every=13:path=/v2/aggs",
    "server_error:status=503:every=17:path=/v2/aggs",
};

const char* const kMarkets[] = {"stocks", "indices", "options"};

// soi is built like this test program.
using test::kSanitizedBuild;

// Resident set of a process, in kB, from /proc/<pid>/status (0 when unreadable).
std::int64_t rss_kb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  return 0;
}

std::int64_t count_of(const std::string& text, const std::string& needle) {
  std::int64_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + needle.size())) ++n;
  return n;
}

// "<kind>":N in the simulator's /_sim/stats.
std::int64_t faults_served(const std::string& stats, const std::string& kind) {
  const auto faults = stats.find("\"faults\":");
  if (faults == std::string::npos) return -1;
  const std::string text = json_field(stats.substr(faults + 9), kind);
  return text.empty() ? -1 : std::stoll(text);
}

class WeekSoakTest : public ::testing::Test {
 protected:
  fs::path data() const { return work_.path() / "data"; }

  std::vector<std::string> daemon_args(const SimulatorProcess& sim) const {
    return {"--config",     config_dir(),    "run",       "--json",     "--base-url",
            sim.base_url(), "--ws-base-url", ws_url(sim), "--data-dir", data().string()};
  }
  // stream_env plus heartbeats every second, debug logs rotated at ~10 KB
  // with two rotated files kept, commits every second, and 8 tries per
  // request: about one aggregates request in five is refused, and
  // concurrent requesters share the simulator's fault counters, so three
  // refusals in a row happen within a week.
  static Env daemon_env() {
    return stream_env({{"SOI_SETTINGS_STREAM_HEARTBEAT_INTERVAL_SECONDS", "1"},
                       {"SOI_RETRY_POLICY_MAX_ATTEMPTS", "8"},
                       {"SOI_SETTINGS_STREAM_COMMIT_INTERVAL_SECONDS", "1"},
                       {"SOI_SETTINGS_LOG_LEVEL", "debug"},
                       {"SOI_SETTINGS_LOG_MAX_FILE_MB", "0.01"},
                       {"SOI_SETTINGS_LOG_MAX_FILES", "2"}});
  }
  ProcessResult status() const {
    return run_soi({"--config", config_dir(), "status", "--data-dir", data().string(), "--json"},
                   {{"MASSIVE_API_KEY", kStreamKey}}, work_.path(), 60);
  }
  std::optional<HeartbeatRecord> heartbeat(const std::string& market) const {
    try {
      const fs::path file = data() / "logs/heartbeat" / (market + "_status.json");
      if (fs::exists(file)) return read_heartbeat_file(file.string());
    } catch (const std::exception&) {
    }
    return std::nullopt;  // not written yet, or being rewritten
  }
  // `soi status --json` while the daemon `pid` holds the directory: every
  // market's heartbeat in one of `states`.
  void expect_status(int pid, const std::set<std::string>& states, const std::string& stage) {
    SCOPED_TRACE("soi status " + stage);
    check_status(status(), pid, states);
  }
  void check_status(const ProcessResult& r, int pid, const std::set<std::string>& states) {
    statuses_checked_++;
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("\"running\":true,\"pid\":" + std::to_string(pid)), std::string::npos) << r.out;
    for (const char* market : kMarkets) {
      const auto at = r.out.find(std::string("{\"source\":\"") + market + "\"");
      ASSERT_NE(at, std::string::npos) << market << ": " << r.out;
      EXPECT_TRUE(states.count(json_field(r.out.substr(at), "state"))) << market << ": " << r.out;
    }
    EXPECT_EQ(r.out.find(kStreamKey), std::string::npos);
  }

  void every_day_equals_the_clean_backfill(const fs::path& truth);
  void consolidated_database_equals_the_clean_backfill(const fs::path& truth);
  void holiday_is_empty_and_the_early_close_ends_at_one();
  void heartbeats_show_the_last_state(int pid);
  void logs_rotate_within_their_bound();

  SoakSpan span_ = span_from_environment();
  TempDir work_;
  int statuses_checked_ = 0;
};

TEST_F(WeekSoakTest, DaemonOverTheSpanEqualsACleanBackfill) {
  const auto started = steady_clock::now();
  std::cerr << "[ soak ] span " << span_.name << ": " << span_.first_day << " to " << span_.last_day << " at speed "
            << span_.speed << "\n";
  const std::size_t days = span_.trading_days.size();
  SimulatorProcess sim(sim_args(span_.first_day + "T09:29:50-05:00", span_.speed, kFaults));

  // kill -9 in the first session, after its first commit; restarted at once.
  {
    BackgroundSoi killed(daemon_args(sim), daemon_env(), work_.path());
    ASSERT_TRUE(wait_until([&] { return fs::exists(partition(data(), "spy", span_.first_day)); }, 60))
        << killed.err_so_far();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    killed.signal(SIGKILL);
    const ProcessResult r = killed.wait(30);
    EXPECT_EQ(r.exit_code, 128 + SIGKILL);
    EXPECT_EQ(r.out.find(kStreamKey) + r.err.find(kStreamKey), 2 * std::string::npos);
  }
  BackgroundSoi daemon(daemon_args(sim), daemon_env(), work_.path());
  const int pid = daemon.pid();
  // The restarted daemon is back in the first session: status shows it streaming.
  ASSERT_TRUE(wait_until(
      [&] {
        const auto hb = heartbeat("stocks");
        return hb && hb->pid == pid && hb->connection == ConnectionStatus::connected;
      },
      30))
      << daemon.err_so_far();
  {
    // At this speed a session lasts ~8 wall seconds: on a loaded machine it can
    // end between the reconnect and the status call, and the daemon is then
    // rightly finished. A heartbeat written after the call that still shows the
    // stream connected means it streamed throughout the call: then only fresh.
    SCOPED_TRACE("soi status in the first session after the restart");
    const ProcessResult r = status();
    const std::int64_t status_done_ms = now_utc_ms();
    std::optional<HeartbeatRecord> next;
    wait_until([&] { return (next = heartbeat("stocks")) && next->last_heartbeat_ms > status_done_ms; }, 10);
    const bool streamed_throughout = next && next->last_heartbeat_ms > status_done_ms && next->pid == pid &&
                                     next->connection == ConnectionStatus::connected;
    const std::set<std::string> states =
        streamed_throughout ? std::set<std::string>{"fresh"} : std::set<std::string>{"fresh", "finished"};
    check_status(r, pid, states);
  }

  // Each finished day prints its session line and then its backfill line ("days":1).
  std::vector<std::int64_t> rss_per_day;
  for (std::size_t day = 1; day <= days; ++day) {
    ASSERT_TRUE(wait_until([&] { return count_of(daemon.out_so_far(), "\"days\":") >= static_cast<std::int64_t>(day); },
                           600))
        << "day " << span_.trading_days[day - 1] << " never finished\n"
        << daemon.out_so_far() << daemon.err_so_far();
    // Sampled once the daemon is between sessions (it ends each day's run, then waits).
    std::this_thread::sleep_for(std::chrono::seconds(1));
    rss_per_day.push_back(rss_kb(pid));
    // Over a holiday the next session is more than a day away: every market
    // is finished. After another day the next session (an overnight is a few
    // wall seconds) may have begun.
    const std::string& finished_day = span_.trading_days[day - 1];
    if (day < days && span_.trading_days[day] > span_.holiday && finished_day < span_.holiday)
      expect_status(pid, {"finished"}, "over the holiday");
    else if (day < days)
      expect_status(pid, {"finished", "fresh"}, "after " + finished_day);
  }
  const std::int64_t rss_after_first_day = rss_per_day.front();
  const std::int64_t rss_at_end = rss_per_day.back();
  const std::string stats = http_get(sim.base_url(), "/_sim/stats");
  daemon.signal(SIGTERM);
  const ProcessResult r = daemon.wait(120);
  sim.stop();
  const double seconds = std::chrono::duration<double>(steady_clock::now() - started).count();
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;

  // Every session and every after-close backfill ended ok, in order.
  const auto lines = [&] {
    std::vector<std::string> out;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) out.push_back(line);
    return out;
  }();
  ASSERT_EQ(lines.size(), 2 * days) << r.out;
  std::int64_t backfill_retries = 0;
  for (std::size_t i = 0; i < days; ++i) {
    const std::string& session = lines[2 * i];
    const std::string& backfill = lines[2 * i + 1];
    EXPECT_EQ(json_field(session, "date"), span_.trading_days[i]) << session;
    EXPECT_EQ(json_field(session, "status"), "ok") << session;
    EXPECT_EQ(json_field(backfill, "status"), "ok") << backfill;
    EXPECT_EQ(json_int(backfill, "days_failed"), 0) << backfill;
    backfill_retries += json_int(backfill, "http_retries");
  }
  EXPECT_GT(json_int(lines[0], "replayed"), 0) << "the killed run's records come back from the write-ahead log";
  EXPECT_GT(backfill_retries, 0) << "no 429/5xx reached an after-close backfill";
  EXPECT_NE(r.err.find("early close 13:00"), std::string::npos) << r.err;

  // Every fault was served and every gap repaired (through the 429/5xx).
  for (const char* kind : {"ws_close", "ws_stall", "ws_malformed", "ws_late", "rate_limit", "server_error"})
    EXPECT_GT(faults_served(stats, kind), 0) << kind << ": " << stats;
  const auto gaps = lines_of(data() / "logs/gaps.jsonl");
  std::set<std::string> reasons;
  std::int64_t gap_bars = 0;
  for (const auto& line : gaps) {
    reasons.insert(json_field(line, "reason"));
    gap_bars += std::stoll(json_field(line, "bars_recovered"));
    EXPECT_EQ(json_field(line, "error"), "null") << line;
  }
  EXPECT_TRUE(reasons.count("reconnect") && reasons.count("restart")) << read_file(data() / "logs/gaps.jsonl");
  std::int64_t malformed = 0;
  for (const auto& f : files_under(data() / "quarantine")) malformed += count_of(read_file(f), "frame is not");
  EXPECT_GE(malformed, static_cast<std::int64_t>(days)) << "malformed frames quarantined";

  const fs::path truth = ground_truth(span_.first_day, span_.last_day);
  every_day_equals_the_clean_backfill(truth);
  consolidated_database_equals_the_clean_backfill(truth);
  holiday_is_empty_and_the_early_close_ends_at_one();
  heartbeats_show_the_last_state(pid);
  logs_rotate_within_their_bound();

  // Stopped: nothing holds the directory, the heartbeats are finished.
  const ProcessResult after = status();
  EXPECT_EQ(after.exit_code, 0) << after.out << after.err;
  EXPECT_NE(after.out.find("\"running\":false"), std::string::npos) << after.out;
  EXPECT_EQ(count_of(after.out, "\"state\":\"finished\""), 3) << after.out;

  // No growth from day to day (checked from outside: /proc/<pid>/status).
  ASSERT_GT(rss_after_first_day, 0);
  ASSERT_GT(rss_at_end, 0);
  const double growth = static_cast<double>(rss_at_end - rss_after_first_day) / static_cast<double>(rss_after_first_day);
  if (kSanitizedBuild) {
    // The sanitizer's allocator keeps freed memory in quarantine (up to 256 MB) and ignores malloc_trim.
    std::cerr << "[ soak ] RSS growth NOT CHECKED in this AddressSanitizer build (" << growth * 100
              << "%); the release build checks it\n";
  } else if (span_.name != "week") {
    // Two trading days are one step of the growth the week measures (1-5 MB a
    // day after a first day of about 68 MB, docs/reliability.md): a bound on one
    // step would only flake, so the short span reports it and the week asserts.
    std::cerr << "[ soak ] RSS growth over the short span " << growth * 100
              << "% (asserted over the week: make soak)\n";
  } else {
    EXPECT_LE(std::abs(growth), 0.10) << "RSS after the first day " << rss_after_first_day << " kB, at the end "
                                      << rss_at_end << " kB";
  }

  // The API key: in no output and no byte under the work directory (data, logs, state).
  EXPECT_EQ(r.out.find(kStreamKey), std::string::npos);
  EXPECT_EQ(r.err.find(kStreamKey), std::string::npos);
  EXPECT_EQ(sim.stderr_text().find(kStreamKey), std::string::npos);
  const auto leaks = files_containing(work_.path(), kStreamKey);
  EXPECT_TRUE(leaks.empty()) << "key found in " << (leaks.empty() ? "" : leaks.front().string());
  const auto partial = files_containing(work_.path(), std::string(kStreamKey).substr(8, 12));
  EXPECT_TRUE(partial.empty()) << "part of the key found in " << (partial.empty() ? "" : partial.front().string());

  // The run's figures (docs/reliability.md quotes the week's).
  std::int64_t rows = 0;
  for (const auto& feed : kBarFeeds) rows += feed_rows(data(), feed);
  std::uintmax_t log_bytes = 0;
  for (const auto& f : files_under(data() / "logs")) log_bytes += fs::file_size(f);
  std::cerr << "[ soak ] " << span_.name << ": " << days << " trading days in " << seconds << " s wall; RSS "
            << rss_after_first_day << " kB after the first day, " << rss_at_end << " kB at the end; bar rows " << rows
            << "; logs " << log_bytes << " bytes in " << files_under(data() / "logs").size() << " files; gaps "
            << gaps.size() << " (" << gap_bars << " bars recovered); malformed frames quarantined " << malformed
            << "; after-close backfill retries " << backfill_retries << "; soi status checked "
            << statuses_checked_ + 1 << " times\n[ soak ] RSS (kB) after each day:";
  for (const auto kb : rss_per_day) std::cerr << " " << kb;
  std::cerr << "\n[ soak ] simulator " << stats << "\n";
}

void WeekSoakTest::every_day_equals_the_clean_backfill(const fs::path& truth) {
  SCOPED_TRACE("every_day_equals_the_clean_backfill");
  expect_equals_ground_truth(data(), truth, span_.name);
  for (const auto& feed : kBarFeeds)
    for (const auto& day : span_.trading_days) {
      EXPECT_TRUE(fs::exists(partition(data(), feed, day))) << feed << " " << day;
      EXPECT_EQ(duckdb_scalar("SELECT count(*) FROM " + feed_scan(data(), feed) + " WHERE date = '" + day + "'"),
                duckdb_scalar("SELECT count(*) FROM " + feed_scan(truth, feed) + " WHERE date = '" + day + "'"))
          << feed << " " << day;
    }
}

void WeekSoakTest::consolidated_database_equals_the_clean_backfill(const fs::path& truth) {
  SCOPED_TRACE("consolidated_database_equals_the_clean_backfill");
  const fs::path db = data() / "processed" / "consolidated" / "market.duckdb";
  ASSERT_TRUE(fs::exists(db));
  const std::string cols = "ticker, ts, open, high, low, close, volume, vwap";
  const std::pair<const char*, const char*> tables[] = {
      {"spy", "spy_bars"}, {"vix", "vix_bars"}, {"options", "option_bars"}};
  for (const auto& [feed, table] : tables) {
    const std::string t(table);
    const std::string clean = "SELECT " + cols + " FROM " + feed_scan(truth, feed);
    EXPECT_EQ(duckdb_file_scalar(db, "SELECT count(*) FROM " + t), std::to_string(feed_rows(truth, feed))) << t;
    EXPECT_EQ(duckdb_file_scalar(db, "SELECT count(*) FROM (SELECT " + cols + " FROM " + t + " EXCEPT " + clean + ")"),
              "0")
        << t << ": rows the clean backfill does not have";
    EXPECT_EQ(duckdb_file_scalar(db, "SELECT count(*) FROM (" + clean + " EXCEPT SELECT " + cols + " FROM " + t + ")"),
              "0")
        << t << ": rows of the clean backfill missing";
    EXPECT_EQ(duckdb_file_scalar(db, "SELECT count(*) - count(DISTINCT (ticker, ts)) FROM " + t), "0") << t;
    EXPECT_EQ(duckdb_file_scalar(db, "SELECT count(DISTINCT date) FROM " + t),
              std::to_string(span_.trading_days.size()))
        << t;
  }
}

void WeekSoakTest::holiday_is_empty_and_the_early_close_ends_at_one() {
  SCOPED_TRACE("holiday_is_empty_and_the_early_close_ends_at_one");
  std::set<std::string> days_stored;
  for (const auto& f : files_under(data() / "raw"))
    for (const auto& part : f)
      if (part.string().rfind("date=", 0) == 0) days_stored.insert(part.string().substr(5));
  EXPECT_EQ(days_stored.count(span_.holiday), 0u) << "something stored for the holiday";
  EXPECT_EQ(days_stored, std::set<std::string>(span_.trading_days.begin(), span_.trading_days.end()));
  for (const auto& f : files_under(data() / "quarantine"))
    EXPECT_EQ(f.string().find("date=" + span_.holiday), std::string::npos) << f;
  for (const auto& feed : kBarFeeds) {
    EXPECT_EQ(duckdb_scalar("SELECT strftime(max(ts) AT TIME ZONE 'America/New_York', '%H:%M:%S') < '13:00:00' FROM " +
                            feed_scan(data(), feed) + " WHERE date = '" + span_.early_close + "'"),
              "true")
        << feed;
  }
  // An index value every second from 09:30 to the 13:00 close.
  EXPECT_EQ(duckdb_scalar("SELECT count(*) FROM " + feed_scan(data(), "vix") + " WHERE date = '" + span_.early_close +
                          "'"),
            std::to_string(3 * 3600 + 1800));
}

void WeekSoakTest::heartbeats_show_the_last_state(int pid) {
  SCOPED_TRACE("heartbeats_show_the_last_state");
  std::set<std::string> files;
  for (const auto& f : files_under(data() / "logs/heartbeat")) files.insert(f.filename().string());
  EXPECT_EQ(files, (std::set<std::string>{"indices_status.json", "options_status.json", "stocks_status.json"}));
  for (const char* market : kMarkets) {
    const auto hb = heartbeat(market);
    ASSERT_TRUE(hb) << market;
    EXPECT_EQ(hb->source, market);
    EXPECT_EQ(hb->pid, pid) << market << ": the restarted daemon wrote the last heartbeat";
    EXPECT_EQ(hb->connection, ConnectionStatus::closed) << market;
    EXPECT_EQ(hb->queue_depth, 0u) << market;
    EXPECT_GT(hb->messages_total, 0u) << market;
  }
}

void WeekSoakTest::logs_rotate_within_their_bound() {
  SCOPED_TRACE("logs_rotate_within_their_bound");
  // Rotation at 0.01 MB, two rotated files kept: at most three files per log,
  // each at most the limit plus one line.
  const std::uintmax_t limit = static_cast<std::uintmax_t>(0.01 * 1024 * 1024);
  std::size_t rotated = 0;
  for (const char* log : {"execution", "errors", "performance"}) {
    std::size_t files = 0;
    for (const auto& f : files_under(data() / "logs" / log)) {
      const std::string name = f.filename().string();
      if (name.rfind(std::string(log) + ".", 0) != 0 || name.size() < 4 || name.substr(name.size() - 4) != ".log")
        continue;
      ++files;
      rotated += name != std::string(log) + ".log";
      EXPECT_LE(fs::file_size(f), limit + 4096) << f;
    }
    EXPECT_LE(files, 3u) << log;
  }
  EXPECT_GT(rotated, 0u) << "no log rotated: the bound was never exercised";
}

}  // namespace
}  // namespace soi::it
