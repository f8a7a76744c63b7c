// soi stream: stream today's (or the next) trading session over WebSocket into
// the same partitions and sinks as the backfill, then exit.
// soi run: the daemon: stream every session, and after each close backfill
// the day over REST to correct and complete it.

#include <chrono>
#include <iostream>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include "cli/backfill_report.hpp"
#include "cli/backfill_runner.hpp"
#include "cli/commands.hpp"
#include "cli/run_setup.hpp"
#include "cli/stream_report.hpp"
#include "cli/stream_runner.hpp"
#include "cli/stream_signals.hpp"
#include "monitoring/logging.hpp"
#include "orchestrator/pending_backfills.hpp"
#include "sinks/sink_factory.hpp"
#include "utils/heap_release.hpp"

namespace soi::cli {
namespace {

struct StreamOptions {
  std::string base_url;
  std::string ws_base_url;
  std::string data_dir;
  bool once = false;
  bool json = false;
};

// After a session that ended before its close (an error other than auth), wait
// this long before streaming the rest of the day again.
constexpr std::int64_t kRestreamDelayMs = 10'000;

void add_common_options(CLI::App* cmd, StreamOptions& o) {
  cmd->add_option("--base-url", o.base_url, "REST base URL for every source (default: sources.yaml rest_base_url "
                                            "and vix.base_url), e.g. http://127.0.0.1:8080 for the simulator");
  cmd->add_option("--ws-base-url", o.ws_base_url, "WebSocket base URL, ws:// or wss:// (default: sources.yaml "
                                                  "websocket.base_url or the provider's host), e.g. "
                                                  "ws://127.0.0.1:8080 for the simulator");
  cmd->add_option("--data-dir", o.data_dir, "data directory (default: settings.yaml data_dir)");
}

// Checked before anything is set up: a usage error costs nothing.
void check_ws_url(const std::string& url) {
  if (!url.empty() && url.rfind("ws://", 0) != 0 && url.rfind("wss://", 0) != 0)
    throw SoiError(ErrorCategory::config, "--ws-base-url: expected a ws:// or wss:// URL, got '" + url + "'");
}

RunOverrides overrides_of(const StreamOptions& o) { return RunOverrides{o.base_url, o.data_dir, o.ws_base_url}; }

SessionSchedule schedule_of(const RunContext& run) {
  return SessionSchedule(run.calendar, run.config.settings.session_start, run.config.settings.session_end);
}

bool session_failed(const StreamSessionSummary& s) { return !s.ok || !s.error.empty(); }

void report_session(const StreamSessionSummary& s, const RunContext& run, const StreamClock& clock,
                    const std::string& manifest, bool json) {
  const StreamReportContext context{run.run.run_id, clock.describe(), run.config.settings.data_dir, manifest};
  if (json) std::cout << stream_summary_json(s, context) << std::endl;
  else std::cout << stream_summary_text(s, context) << std::flush;
  if (!s.error.empty())
    std::cerr << fmt::format("soi: stream {} failed ({}): {}\n", format_date(s.date),
                             s.error_category.empty() ? "error" : s.error_category, s.error);
}

// Nothing was streamed (market closed with --once, or stopped while waiting):
// no manifest for an empty run, only the log line.
void end_idle_run(const RunContext& run, std::string_view why) {
  exec_log().info("run {} end: {}", run.run.run_id, why);
  shutdown_logging();
}

int run_stream(const GlobalOptions& global, const StreamOptions& o) {
  check_ws_url(o.ws_base_url);
  StreamControl control;
  const StreamSignalGuard signals(control);  // before the lock: `soi recenter` must never hit a default handler
  auto run_owner = prepare_run(global.config_dir, overrides_of(o), global.command_line);
  RunContext& run = *run_owner;
  // Its own connection: the session's threads use the main client meanwhile.
  auto clock = make_stream_clock(run.config, new_worker_client(run, run.config.sources.rest_base_url));
  const SessionSchedule schedule = schedule_of(run);
  const SessionWait wait = wait_for_session(schedule, *clock, control,
                                            run.config.settings.stream.connect_before_open_seconds, o.once);
  if (!wait.session) {
    end_idle_run(run, wait.stopped ? "stopped before the session" : "nothing to stream now");
    return 0;
  }
  auto sinks = make_sinks(run.config, run.store, run.feeds);
  const StreamSessionSummary summary = stream_session(run, *sinks, *clock, *wait.session, control);
  const std::string manifest = finish_run(run, summary.ok ? "ok" : "failed");
  report_session(summary, run, *clock, manifest, o.json);
  return session_failed(summary) || !run.finish_error.empty() ? 1 : 0;
}

// One line per backfilled day ("backfill 2025-01-17 ok: spy 23001 rows, ...").
void report_backfill(const BackfillReport& report, const RunContext& run, Date day, bool json) {
  if (json) {
    std::cout << backfill_report_json(report, run) << std::endl;
    return;
  }
  std::string feeds;
  for (const auto& f : report.feeds)
    feeds += fmt::format("{}{} {} rows{}", feeds.empty() ? "" : ", ", f.feed, f.rows(),
                         f.failed_days() ? fmt::format(" ({} failed)", f.failed_days()) : "");
  std::cout << fmt::format("backfill {} {}: {} ({:.1f} s)\n", format_date(day), report.ok() ? "ok" : "FAILED",
                           feeds.empty() ? "no feed enabled" : feeds, report.seconds)
            << std::flush;
  const std::string errors = run.errors.to_text();
  if (!report.ok() && !errors.empty()) std::cerr << errors;
}

bool stopped_on_auth(const BackfillReport& report) {
  for (const auto& f : report.feeds)
    if (f.stopped_on_auth) return true;
  return false;
}

// The day's backfill after its close, of every enabled feed, keeping the
// contracts the stream re-centred onto (corrected, not dropped). One line.
BackfillReport backfill_streamed_day(RunContext& run, SinkSet& sinks, Date day, bool json) {
  const auto start = std::chrono::steady_clock::now();
  BackfillReport report =
      run_backfill_feeds(run, sinks, BackfillFeedsRequest{SourceSelection{true, {}}, {day}, {day, day}, json, true});
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

// The pending list is bookkeeping: a disk that refuses it is recorded, and the
// daemon streams on (the stream itself reports a disk that fails it).
template <typename Change>
void change_pending(RunContext& run, Change change) {
  try {
    change();
  } catch (const SoiError& e) {
    run.errors.record(e);
    exec_log().error("{}", e.what());
  }
}

// Days an earlier daemon streamed but never backfilled (killed in the session,
// or its backfill failed), now over: backfilled before the next session, each
// kept pending until it succeeds. Returns false after an auth failure.
bool backfill_pending_days(RunContext& run, StreamClock& clock, PendingBackfills& pending, bool json) {
  const SessionSchedule schedule = schedule_of(run);
  const std::int64_t now = clock.now_ms();
  std::unique_ptr<SinkSet> sinks;
  for (const Date day : pending.days()) {
    const auto session = schedule.session_on(day);
    if (session && session->close_ms > now) continue;  // streamed again when its session comes
    if (!session) {
      change_pending(run, [&] { pending.remove(day); });  // not a trading day (the calendar changed)
      continue;
    }
    exec_log().info("backfilling {}: streamed by an earlier run whose backfill after the close never completed",
                    format_date(day));
    if (!sinks) sinks = make_sinks(run.config, run.store, run.feeds);  // opened once, for the first such day
    const BackfillReport report = backfill_streamed_day(run, *sinks, day, json);
    report_backfill(report, run, day, json);
    if (stopped_on_auth(report)) return false;
    if (report.ok()) change_pending(run, [&] { pending.remove(day); });
  }
  return true;
}

int run_daemon(const GlobalOptions& global, const StreamOptions& o) {
  check_ws_url(o.ws_base_url);
  StreamControl control;
  const StreamSignalGuard signals(control);
  // One run (manifest, logs, error summary, refreshed calendar) per session;
  // the data directory's lock passes from one to the next without a gap.
  std::optional<ProcessLock> lock;
  bool after_a_day = false;
  while (!control.stop.load()) {
    // The day's run, sinks and session are gone: hand the heap they freed back
    // to the OS, so a daemon between sessions holds what it uses rather than
    // the peak of every day it streamed (and its RSS shows growth, not churn).
    if (std::exchange(after_a_day, true)) release_free_heap();
    auto run_owner = prepare_run(global.config_dir, overrides_of(o), global.command_line, std::move(lock));
    RunContext& run = *run_owner;
    auto clock = make_stream_clock(run.config, new_worker_client(run, run.config.sources.rest_base_url));
    const bool backfill_after_close = run.config.settings.stream.backfill_after_close;
    PendingBackfills pending(pending_backfills_file(run.config.settings.data_dir));
    if (backfill_after_close && !backfill_pending_days(run, *clock, pending, o.json)) {
      finish_run(run, "failed");
      return 1;
    }
    const SessionSchedule schedule = schedule_of(run);
    const SessionWait wait = wait_for_session(schedule, *clock, control,
                                              run.config.settings.stream.connect_before_open_seconds, false);
    if (!wait.session) {
      end_idle_run(run, "stopped while waiting for the next session");
      return 0;
    }
    const SessionWindow session = *wait.session;
    if (backfill_after_close) change_pending(run, [&] { pending.add(session.date); });
    auto sinks = make_sinks(run.config, run.store, run.feeds);
    const StreamSessionSummary summary = stream_session(run, *sinks, *clock, session, control);
    if (summary.error_category == "auth") {
      report_session(summary, run, *clock, finish_run(run, "failed"), o.json);
      return 1;
    }
    // A session that returned before its close failed mid-day: stream the rest
    // of the day again (its write-ahead log carries what was received) rather
    // than backfilling a day that is not over.
    const bool day_over = summary.reached_close;
    bool ok = summary.ok && summary.error.empty();
    if (day_over && !control.stop.load() && backfill_after_close) {
      const BackfillReport report = backfill_streamed_day(run, *sinks, session.date, o.json);
      ok = ok && report.ok();
      if (report.ok()) change_pending(run, [&] { pending.remove(session.date); });
      if (stopped_on_auth(report)) {
        report_session(summary, run, *clock, finish_run(run, "failed"), o.json);
        report_backfill(report, run, session.date, o.json);
        return 1;
      }
      report_session(summary, run, *clock, finish_run(run, ok ? "ok" : "partial"), o.json);
      report_backfill(report, run, session.date, o.json);
    } else {
      report_session(summary, run, *clock, finish_run(run, ok ? "ok" : "failed"), o.json);
    }
    lock = std::move(run.lock);
    if (!day_over) sleep_unless_stopped(control, kRestreamDelayMs);
  }
  return 0;
}

}  // namespace

void add_stream_command(CLI::App& app, const GlobalOptions& global, Runner& runner) {
  auto options = std::make_shared<StreamOptions>();
  CLI::App* cmd = app.add_subcommand(
      "stream", "Stream the current (or next) trading session over WebSocket into the same Parquet partitions and "
                "SQL sinks as backfill, committing every stream.commit_interval_seconds and at the close, then exit. "
                "Waits for the session unless --once. SIGINT/SIGTERM (soi stop) commit and stop; SIGUSR1 (soi "
                "recenter) re-centres the options band. Exit 0 done, 1 failed, 2 bad usage or configuration.");
  add_common_options(cmd, *options);
  cmd->add_flag("--once", options->once, "when no session is open or about to open, say when the next one opens "
                                         "and exit 0 instead of waiting");
  cmd->add_flag("--json", options->json, "print the session summary as one JSON object on stdout");
  cmd->callback([&runner, &global, options]() { runner = [&global, options]() { return run_stream(global, *options); }; });
}

void add_run_command(CLI::App& app, const GlobalOptions& global, Runner& runner) {
  auto options = std::make_shared<StreamOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Daemon: stream every trading session (waiting for each), and after each close backfill that day over "
             "REST for every enabled feed (unless settings stream.backfill_after_close is false). A day streamed "
             "but never backfilled (the daemon killed in its session, or its backfill failed) is backfilled when "
             "the daemon next starts or finishes a session, once that day is over. One line per finished day. "
             "Runs until SIGINT/SIGTERM (soi stop): exit 0; exit 1 on an auth error.");
  add_common_options(cmd, *options);
  cmd->add_flag("--json", options->json, "print each session and backfill summary as one JSON object per line");
  cmd->callback([&runner, &global, options]() { runner = [&global, options]() { return run_daemon(global, *options); }; });
}

}  // namespace soi::cli
