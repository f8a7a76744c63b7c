// The session itself: builds its parts in order (ingest, committer, recovery,
// gap repair, connections, universe), runs the writer loop until the close or
// a stop, and sums up. Each part's job and threads are in its own header.
#include "orchestrator/stream_session.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>

#include "monitoring/logging.hpp"
#include "orchestrator/gap_journal.hpp"
#include "orchestrator/gap_repair.hpp"
#include "orchestrator/news_backfill.hpp"
#include "orchestrator/stream_connections.hpp"
#include "orchestrator/stream_day_committer.hpp"
#include "orchestrator/stream_day_router.hpp"
#include "orchestrator/stream_feed_set.hpp"
#include "orchestrator/stream_ingest.hpp"
#include "orchestrator/stream_recovery.hpp"
#include "orchestrator/stream_universe.hpp"
#include "utils/error.hpp"
#include "utils/time_util.hpp"

namespace soi {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

StreamIngestOptions ingest_options(const StreamConfig& st, const std::filesystem::path& state) {
  StreamIngestOptions options;
  options.wal.dir = state / "wal" / "stream";
  options.queue.capacity_batches = static_cast<std::size_t>(st.queue_capacity_batches);
  options.queue.policy = st.queue_policy == "block"         ? OverflowPolicy::block
                         : st.queue_policy == "drop_oldest" ? OverflowPolicy::drop_oldest
                                                            : OverflowPolicy::spill;
  options.queue.spill_path = state / "spill" / "stream.spill";
  std::filesystem::create_directories(options.queue.spill_path.parent_path());
  options.sync_interval = milliseconds(st.wal_sync_ms);
  return options;
}

}  // namespace

struct StreamSession::Impl {
  Impl(StreamServices services, SessionWindow session_window, StreamControl& ctl)
      : s(services),
        cfg(services.backfill.config),
        session(std::move(session_window)),
        window{session.open_ms, session.close_ms, 1000},
        control(ctl),
        job(services.backfill),
        feeds(services.feeds, cfg),
        router({feeds, services.backfill.calendar, services.backfill.quarantine, services.store}, session.date,
               window) {}

  StreamSessionSummary run();
  bool prepare(StreamSessionSummary& summary);  // ingest, recovery; false: the session cannot start
  void start_repair_and_connections();
  void stream_until_close(StreamSessionSummary& summary);
  void finish(StreamSessionSummary& summary);
  void drain(milliseconds first_wait, int max_batches);
  bool commit_session_day(bool last);
  void poll_news();
  std::int64_t market_now() const;
  void set_fatal(std::string error, std::string category);

  StreamServices s;
  const Config& cfg;
  SessionWindow session;
  BarWindow window;  // the session's regular hours, 1 s bars
  StreamControl& control;
  BackfillJob job;
  StreamFeedSet feeds;
  StreamDayRouter router;

  std::unique_ptr<StreamIngest> ingest;
  std::unique_ptr<StreamDayCommitter> committer;
  std::unique_ptr<GapJournal> gap_journal;
  std::unique_ptr<GapRepairer> gaps;
  std::unique_ptr<StreamConnectionSet> connections;
  std::unique_ptr<OptionsUniverseTracker> universe;  // only with an enabled options feed
  std::optional<OptionsUniverse> committed_universe;

  std::string fatal;
  std::string fatal_category;  // "auth", "network", ... when fatal is set
  std::uint64_t quarantine_at_start = 0;
  std::uint64_t replayed = 0, news_articles = 0;
  std::uint64_t committed_added = ~0ull;  // bars_added() of the session's day at the last commit
};

void StreamSession::Impl::set_fatal(std::string error, std::string category) {
  fatal = std::move(error);
  fatal_category = std::move(category);
}

bool StreamSession::Impl::prepare(StreamSessionSummary& summary) {
  const std::filesystem::path state = std::filesystem::path(s.data_dir) / "state";
  try {
    ingest = std::make_unique<StreamIngest>(ingest_options(cfg.settings.stream, state), s.backfill.errors);
    committer = std::make_unique<StreamDayCommitter>(feeds, job, *ingest);
    StreamRecovery recovery({feeds, router, *committer, *ingest, s.backfill.calendar, s.store, s.data_dir});
    StreamRecoveryResult recovered = recovery.run(window);
    replayed = recovered.replayed;
    committed_universe = std::move(recovered.universe);
    return true;
  } catch (const SoiError& e) {
    s.backfill.errors.record(e);
    summary.error = e.what();
    summary.error_category = std::string(to_string(e.category()));
    return false;
  }
}

void StreamSession::Impl::start_repair_and_connections() {
  const std::filesystem::path state = std::filesystem::path(s.data_dir) / "state";
  gap_journal = std::make_unique<GapJournal>(state / "stream" / "open_gaps.jsonl");
  gaps = std::make_unique<GapRepairer>(GapRepairServices{cfg, s.feeds, s.worker_client, *ingest,
                                                          s.backfill.quarantine, s.backfill.errors, session.date,
                                                          (std::filesystem::path(s.log_dir) / "gaps.jsonl").string(),
                                                          gap_journal.get()});
  // Repairs a killed run still owed (their windows are not in the log).
  try {
    for (auto& owed : gap_journal->take_open(session.date)) gaps->submit(std::move(owed));
  } catch (const SoiError& e) {
    s.backfill.errors.record(e);
  }
  connections = std::make_unique<StreamConnectionSet>(
      StreamConnectionSet::Services{feeds, *ingest, *gaps, s.backfill.quarantine, s.backfill.drift,
                                    s.backfill.errors, s.api_key, s.log_dir},
      session.date, window, router.session_day());
  if (feeds.options()) {
    universe = std::make_unique<OptionsUniverseTracker>(
        OptionsUniverseTracker::Services{feeds, s.backfill, s.worker_client, *connections, router.session_day(),
                                         *committer, *gaps, [this] { return market_now(); }},
        window);
    universe->resume(std::move(committed_universe));
  }
}

StreamSessionSummary StreamSession::Impl::run() {
  const auto started = Clock::now();
  quarantine_at_start = s.backfill.quarantine.total();
  StreamSessionSummary summary;
  summary.date = session.date;
  if (!prepare(summary)) return summary;
  start_repair_and_connections();
  exec_log().info("stream {}: session {} -> {} (clock {})", format_date(session.date),
                  format_ny_rfc3339(session.open_ms), format_ny_rfc3339(session.close_ms), s.clock.describe());
  try {
    stream_until_close(summary);
  } catch (const SoiError& e) {  // e.g. a topic the plan refuses, a spill file that cannot be written
    s.backfill.errors.record(e);
    set_fatal(e.what(), std::string(to_string(e.category())));
  }
  finish(summary);
  summary.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return summary;
}

// Market time: the configured clock, or the data when it is ahead (a simulator
// at full speed, or a host clock that lags).
std::int64_t StreamSession::Impl::market_now() const {
  const std::int64_t now = s.clock.now_ms();
  const auto data_time = connections->data_time_ms();
  return data_time ? std::max(now, *data_time) : now;
}

// Everything logged up to now that the writer has not routed yet (bounded, so
// the loop's checks keep running).
void StreamSession::Impl::drain(milliseconds first_wait, int max_batches) {
  RecordBatch batch;
  for (int i = 0; i < max_batches && ingest->pop(batch, i == 0 ? first_wait : milliseconds(0)); ++i)
    for (std::size_t k = 0; k < batch.size(); ++k) router.route_live(batch[k]);
}

bool StreamSession::Impl::commit_session_day(bool last) {
  return committer->commit_bars(router.session_day(), window,
                                {StreamDayCommitter::Feeds::enabled, last, router.other_days().empty()});
}

void StreamSession::Impl::poll_news() {
  if (!cfg.sources.news.enabled) return;
  NewsBackfillJob news(s.backfill);
  const BackfillSummary summary = news.run({session.date}, nullptr);
  news_articles = summary.rows();
  if (summary.stopped_on_auth) set_fatal("news: authentication failed", "auth");
}

// The writer's loop: drain the queue into the day book, commit on the interval,
// discover the universe, poll news, watch staleness, until the close or a stop.
void StreamSession::Impl::stream_until_close(StreamSessionSummary& summary) {
  const auto& st = cfg.settings.stream;
  connections->start_base();

  const auto commit_interval = seconds(st.commit_interval_seconds);
  const auto news_interval = seconds(st.news_poll_seconds);
  auto next_commit = Clock::now() + commit_interval;
  auto next_news = Clock::now();
  auto next_check = Clock::now() + seconds(1);
  std::optional<Clock::time_point> close_deadline;
  while (true) {
    if (control.stop.load()) {
      summary.stopped = true;
      break;
    }
    if (fatal.empty() && universe && !universe->fatal().empty()) set_fatal(universe->fatal(), "auth");
    if (fatal.empty()) fatal = connections->fatal_error();
    if (!fatal.empty()) {
      if (fatal_category.empty()) fatal_category = connections->fatal_is_auth() ? "auth" : "network";
      break;
    }
    const std::int64_t now = market_now();
    if (!close_deadline && now >= session.close_ms) close_deadline = Clock::now() + seconds(st.close_grace_seconds);
    if (control.recenter.exchange(false)) {
      if (universe) universe->recenter();
      else exec_log().warn("stream: re-centre ignored (the options feed is not enabled)");
    }
    if (universe) universe->maybe_discover(now);
    if (close_deadline) {
      // Early out when every connection has delivered the session's last window
      // (and the universe is known); otherwise the grace period bounds the wait.
      const bool universe_known = !universe || universe->known();
      if (Clock::now() >= *close_deadline || (connections->all_reached(session.close_ms) && universe_known)) break;
    }
    if (st.news_poll_seconds > 0 && Clock::now() >= next_news && now >= session.open_ms) {
      poll_news();
      next_news = Clock::now() + news_interval;
    }
    drain(milliseconds(100), 256);
    connections->publish_queue_stats(ingest->queue_stats());
    if (Clock::now() >= next_commit) {
      if (router.session_day().bars_added() != committed_added) {
        committed_added = router.session_day().bars_added();
        commit_session_day(false);
      }
      next_commit = Clock::now() + commit_interval;
    }
    if (Clock::now() >= next_check) {
      connections->check_staleness(now_utc_ms());
      // The heartbeat files change once per interval: reading them more often is wasted I/O.
      next_check = Clock::now() + seconds(std::clamp(st.heartbeat_interval_seconds, 1, 10));
    }
  }
}

// The close (or a stop): no more reading; what the readers and the gap
// repairer still hold goes through the writer, then the day's last commit.
void StreamSession::Impl::finish(StreamSessionSummary& summary) {
  // At the close, a connection that went quiet before it (a stall, a drop just
  // before 16:00) is repaired from its last second to the close.
  const bool at_close = market_now() >= session.close_ms;
  summary.reached_close = at_close && !summary.stopped;
  connections->stop(at_close);
  gaps->finish();
  ingest->close_queue();
  drain(milliseconds(0), std::numeric_limits<int>::max());
  // A stop must be quick (soi stop waits): the day's last news poll is for the close.
  if (fatal.empty() && at_close && cfg.settings.stream.news_poll_seconds > 0) poll_news();
  StreamDayBook& day = router.session_day();
  try {
    // Nothing received (e.g. refused at login): leave the day's partitions alone.
    summary.ok = day.bars_added() == 0 || commit_session_day(true);
    for (auto& [key, other] : router.other_days())
      summary.ok &= committer->commit_bars(other, job.session_window(other.date()),
                                           {StreamDayCommitter::Feeds::with_bars, true, false});
  } catch (const SoiError& e) {  // e.g. the write-ahead log's directory is gone: its checkpoint cannot be written
    s.backfill.errors.record(e);
    if (fatal.empty()) set_fatal(e.what(), std::string(to_string(e.category())));
    summary.ok = false;
  }
  // A partition a sink refused (a full or read-only disk) fails the session with its cause.
  if (!summary.ok && fatal.empty() && !committer->first_error().empty())
    set_fatal(committer->first_error(), committer->first_error_category());
  connections->close();

  // Discovery may have been refused (auth) in the loop's last turn.
  if (fatal.empty() && universe && !universe->fatal().empty()) set_fatal(universe->fatal(), "auth");
  if (fatal.empty() && connections->none_ever_connected())
    set_fatal("no WebSocket connection was accepted during the session (see the errors log: e.g. the account's "
              "connection limit, max_connections)",
              "rate_limit");
  summary.error = fatal;
  if (!fatal.empty()) {
    summary.ok = false;
    summary.error_category = fatal_category.empty() ? "network" : fatal_category;
  }
  summary.spilled_batches = ingest->queue_stats().spilled_batches;
  summary.events = connections->events();
  summary.reconnects = connections->reconnects();
  summary.replayed = replayed;
  // Everything this session sent to the quarantine: the writer's rejects, the
  // readers' (malformed / unknown events) and the gap repairs'.
  summary.quarantined = s.backfill.quarantine.total() - quarantine_at_start;
  summary.late = router.late_rejects();
  summary.gaps = gaps->gaps();
  summary.gap_bars = gaps->bars_recovered();
  summary.commits = committer->commits();
  summary.news_articles = news_articles;
  summary.contracts = universe ? universe->contracts() : 0;
  summary.connections = connections->size();
  for (StreamFeed feed : feeds.all()) {
    if (!feeds.enabled(feed)) continue;
    StreamFeedCounts counts;
    counts.feed = feeds.spec(feed).name;
    counts.rows = day.rows(feed);
    counts.tickers = day.tickers(feed);
    summary.feeds.push_back(std::move(counts));
  }
}

StreamSession::StreamSession(StreamServices services, SessionWindow session, StreamControl& control)
    : impl_(std::make_unique<Impl>(services, std::move(session), control)) {}
StreamSession::~StreamSession() = default;

StreamSessionSummary StreamSession::run() { return impl_->run(); }

}  // namespace soi
