#include "orchestrator/stream_session.hpp"
#include "orchestrator/stream_session_impl.hpp"

namespace soi {

using namespace stream_session_detail;

std::optional<StreamFeed> StreamSession::Impl::stream_feed(std::uint8_t id) const {
  if (id >= feeds.size() || !feeds[id].streamed()) return std::nullopt;
  return StreamFeed{id};
}

std::string StreamSession::Impl::contracts_dataset() const { return options_spec().companion->name; }

// ---- connections ----

WsReaderConfig StreamSession::Impl::reader_config(WsMarket market, StreamFeed feed, std::size_t shard,
                                                  std::string url, std::vector<std::string> topics) {
  WsReaderConfig c;
  c.market = market;
  c.feed = feed;
  c.feed_name = spec(feed).name;
  c.shard = shard;
  c.url = std::move(url);
  c.topics = std::move(topics);
  c.api_key = s.api_key;
  c.client.source = c.feed_name;
  c.client.connect_timeout = seconds(cfg.retry.connect_timeout_seconds);
  c.reconnect = ReconnectPolicy::from_retry(cfg.retry);
  // The connection of a feed an enabled feed depends on (SPY, for the options
  // band) carries the underlying's open and last price.
  for (StreamFeed other : streamed) {
    const FeedSpec& dependent = spec(other);
    if (dependent.enabled(cfg) &&
        std::find(dependent.depends_on.begin(), dependent.depends_on.end(), spec(feed).name) !=
            dependent.depends_on.end()) {
      c.underlying = spec(feed).rest_tickers(cfg).front();
      break;
    }
  }
  // The last second this connection's own tickers reached (a restart), not the
  // feed's: another shard may have kept receiving while this one was down.
  std::optional<std::int64_t> last;
  for (const auto& topic : c.topics) {
    const auto t = book.last_ts(feed, ws_topic_symbol(topic));
    if (t && (!last || *t > *last)) last = t;
  }
  c.first_gap_start_ms = last ? std::max(*last, session.open_ms) : session.open_ms;
  c.first_gap_reason = last ? "restart" : "start";
  c.session_close_ms = session.close_ms;
  return c;
}

void StreamSession::Impl::start_reader(WsReaderConfig config) {
  const auto m = market_index(config.market);
  if (!heartbeats[m]) {
    heartbeats[m] = std::make_unique<HeartbeatWriter>(s.log_dir, std::string(to_string(config.market)), counters[m],
                                                      seconds(cfg.settings.stream.heartbeat_interval_seconds));
    heartbeats[m]->write(now_utc_ms());  // on disk before anyone (our own stale check) looks
    heartbeats[m]->start();
  }
  WsReaderServices services{*ingest, *gaps, s.backfill.quarantine, s.backfill.drift, s.backfill.errors,
                            counters[m], session.date};
  auto reader = std::make_unique<WsReader>(std::move(config), services);
  reader->start();
  readers.push_back(std::move(reader));
}

void StreamSession::Impl::start_base_readers() {
  heartbeats.resize(kMarkets.size());
  WsPlanRequest plan;
  plan.stock_topics.clear();
  plan.index_topics.clear();
  // One feed per market: a connection's events are all logged as its feed's.
  std::map<WsMarket, StreamFeed> feed_of_market;
  for (StreamFeed feed : streamed) {
    const FeedSpec& f = spec(feed);
    // The options contracts are subscribed once the universe is known.
    if (f.dataset == DatasetKind::option_bars || !feeds.needed(f, cfg)) continue;
    const auto market = ws_market_from(f.ws_market);
    if (!market || *market == WsMarket::options)
      throw SoiError(ErrorCategory::config, "feed " + f.name + ": no base connection for WebSocket market '" +
                                                f.ws_market + "'");
    if (!feed_of_market.emplace(*market, feed).second)
      throw SoiError(ErrorCategory::config, "feeds " + spec(feed_of_market.at(*market)).name + " and " + f.name +
                                                " share the " + f.ws_market + " connection; one streamed feed per "
                                                "market is supported");
    auto& topics = *market == WsMarket::indices ? plan.index_topics : plan.stock_topics;
    for (const std::string& ticker : f.rest_tickers(cfg)) topics.push_back(ws_topic(f.ws_topic_prefix, ticker));
  }
  plan.urls = urls;
  plan.max_per_connection = static_cast<std::size_t>(cfg.sources.websocket.max_subscriptions_per_connection);
  for (auto& c : plan_ws_connections(plan))
    start_reader(reader_config(c.market, feed_of_market.at(c.market), c.shard, c.url, std::move(c.topics)));
}

WsReader* StreamSession::Impl::stocks_reader() const {
  for (const auto& r : readers)
    if (!r->config().underlying.empty()) return r.get();
  return nullptr;
}

// ---- periodic work ----

bool StreamSession::Impl::commit_day(StreamDayBook& day, const BarWindow& window, bool all_feeds, bool last) {
  const auto position = ingest->drained_position();
  bool ok = true;
  for (StreamFeed feed : streamed) {
    if (!feed_enabled(feed) || (!all_feeds && day.tickers(feed) == 0)) continue;
    const FeedSpec& f = spec(feed);
    std::vector<BarDay> days = last ? day.take(feed) : day.snapshot(feed);
    for (BarDay& d : days) d.feed = f.name;
    DayOutcome out;
    const ErrorContext context{f.name, "", format_date(day.date()), ""};
    ok &= job.commit(
        BarPartition{f.name, day.date(), days, window.from_ms, window.to_ms, f.sql_table, &dataset_for(f.dataset)},
        f.name, context, out);
  }
  ++commits;
  // Everything logged before `position` is in this snapshot: the log may forget it.
  if (ok && position && &day == &book && other_days.empty() && !keep_log) ingest->checkpoint(*position);
  return ok;
}

void StreamSession::Impl::poll_news() {
  if (!cfg.sources.news.enabled) return;
  NewsBackfillJob news(s.backfill);
  const BackfillSummary summary = news.run({session.date}, nullptr);
  news_articles = summary.rows();
  if (summary.stopped_on_auth) {
    fatal = "news: authentication failed";
    fatal_category = "auth";
  }
}

void StreamSession::Impl::check_staleness(std::int64_t now_ms) {
  const std::int64_t stale_ms = std::int64_t{cfg.settings.stream.stale_heartbeat_seconds} * 1000;
  for (WsMarket m : kMarkets) {
    const auto i = market_index(m);
    if (!heartbeats[i]) continue;
    HeartbeatCheck check = check_heartbeat(heartbeats[i]->path(), now_ms, seconds(stale_ms / 1000));
    // The file is rewritten by its own thread; a connection that stopped
    // delivering is stale too: no message for the threshold while streaming.
    const std::int64_t last = counters[i].last_message_ms.load();
    if (!check.stale() && now_ms - (last ? last : now_ms) > stale_ms) {
      check.state = HeartbeatState::stale;
      check.age_seconds = static_cast<double>(now_ms - last) / 1000.0;
      check.message = fmt::format("no {} message for {:.0f} s (threshold {} s); connection {}", to_string(m),
                                  check.age_seconds, stale_ms / 1000,
                                  to_string(static_cast<ConnectionStatus>(counters[i].connection.load())));
    }
    if (check.stale() && !stale_alerted[i]) stale_alerted[i] = record_heartbeat_alert(s.backfill.errors, to_string(m), check);
    if (!check.stale()) stale_alerted[i] = false;
  }
}

// Market time: the configured clock, or the data when it is ahead (a simulator
// at full speed, or a host clock that lags).
std::int64_t StreamSession::Impl::market_now() {
  // The data's time counts when every SPY/VIX connection agrees (the slowest of
  // them): one bogus future-dated event cannot end the session early.
  std::int64_t data_time = INT64_MAX;
  for (const auto& r : readers)
    if (r->config().feed != options_feed && r->last_event_end_ms() > 0)
      data_time = std::min(data_time, r->last_event_end_ms());
  const std::int64_t now = s.clock.now_ms();
  return data_time == INT64_MAX ? now : std::max(now, data_time);
}

bool StreamSession::Impl::fatal_is_auth() const {
  return std::any_of(readers.begin(), readers.end(), [](const auto& r) { return r->fatal_is_auth(); });
}

std::string StreamSession::Impl::fatal_error() const {
  if (!fatal.empty()) return fatal;
  bool any_alive = false;
  std::string error;
  for (const auto& r : readers) {
    const std::string e = r->fatal_error();
    if (e.empty()) any_alive = true;
    else if (r->fatal_is_auth()) return e;
    else error = e;
  }
  return any_alive ? "" : error;
}

StreamSessionSummary StreamSession::Impl::run() {
  const auto started = Clock::now();
  quarantine_at_start = s.backfill.quarantine.total();
  StreamSessionSummary summary;
  summary.date = session.date;
  const auto& st = cfg.settings.stream;
  const std::filesystem::path state = std::filesystem::path(s.data_dir) / "state";
  try {
    StreamIngestOptions options;
    options.wal.dir = state / "wal" / "stream";
    options.queue.capacity_batches = static_cast<std::size_t>(st.queue_capacity_batches);
    options.queue.policy = st.queue_policy == "block"         ? OverflowPolicy::block
                           : st.queue_policy == "drop_oldest" ? OverflowPolicy::drop_oldest
                                                              : OverflowPolicy::spill;
    options.queue.spill_path = state / "spill" / "stream.spill";
    std::filesystem::create_directories(options.queue.spill_path.parent_path());
    options.sync_interval = milliseconds(st.wal_sync_ms);
    ingest = std::make_unique<StreamIngest>(options, s.backfill.errors);
    recover();
    if (options_feed) committed_universe = read_universe_partition(s.store, session.date);
    for (auto& [key, day] : other_days) {
      const bool ok = commit_day(day, job.session_window(day.date()), false);
      // The log is the only copy of what the failed day misses: never checkpoint past it.
      if (!ok) keep_log = true;
      exec_log().info("stream: recovered {} record(s) of unfinished day {} from the write-ahead log{}",
                      day.bars_added(), format_date(day.date()), ok ? "" : " (commit failed; run soi backfill)");
    }
    other_days.clear();
    if (replayed) commit_day(book, BarWindow{session.open_ms, session.close_ms, 1000}, false);
  } catch (const SoiError& e) {
    s.backfill.errors.record(e);
    summary.error = e.what();
    summary.error_category = std::string(to_string(e.category()));
    return summary;
  }

  gap_journal = std::make_unique<GapJournal>(state / "stream" / "open_gaps.jsonl");
  gaps = std::make_unique<GapRepairer>(GapRepairServices{cfg, feeds, s.worker_client, *ingest,
                                                          s.backfill.quarantine, s.backfill.errors, session.date,
                                                          (std::filesystem::path(s.log_dir) / "gaps.jsonl").string(),
                                                          gap_journal.get()});
  // Repairs a killed run still owed (their windows are not in the log).
  try {
    for (auto& owed : gap_journal->take_open(session.date)) gaps->submit(std::move(owed));
  } catch (const SoiError& e) {
    s.backfill.errors.record(e);
  }
  if (options_feed) {
    const std::string url = options_spec().rest_base_url(cfg);
    options_job = std::make_unique<OptionsBackfillJob>(
        s.backfill, [this, url]() -> RestClient& { return s.worker_client(url); }, options_spec().sql_table);
  }
  exec_log().info("stream {}: session {} -> {} (clock {})", format_date(session.date),
                  format_ny_rfc3339(session.open_ms), format_ny_rfc3339(session.close_ms), s.clock.describe());
  try {
    stream_until_close(summary);
  } catch (const SoiError& e) {  // e.g. a topic the plan refuses, a spill file that cannot be written
    s.backfill.errors.record(e);
    fatal = e.what();
    fatal_category = std::string(to_string(e.category()));
  }
  finish(summary);
  summary.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return summary;
}

// The writer's loop: drain the queue into the day book, commit on the interval,
// discover the universe, poll news, watch staleness, until the close or a stop.
void StreamSession::Impl::stream_until_close(StreamSessionSummary& summary) {
  const auto& st = cfg.settings.stream;
  start_base_readers();

  const auto commit_interval = seconds(st.commit_interval_seconds);
  const auto news_interval = seconds(st.news_poll_seconds);
  auto next_commit = Clock::now() + commit_interval;
  auto next_news = Clock::now();
  auto next_check = Clock::now() + seconds(1);
  std::optional<Clock::time_point> close_deadline;
  const BarWindow window{session.open_ms, session.close_ms, 1000};
  RecordBatch batch;
  while (true) {
    if (control.stop.load()) {
      summary.stopped = true;
      break;
    }
    if (fatal = fatal_error(); !fatal.empty()) {
      if (fatal_category.empty()) fatal_category = fatal_is_auth() ? "auth" : "network";
      break;
    }
    const std::int64_t now = market_now();
    if (!close_deadline && now >= session.close_ms) close_deadline = Clock::now() + seconds(st.close_grace_seconds);
    if (control.recenter.exchange(false)) recenter();
    maybe_discover_universe();
    if (close_deadline) {
      // Early out when every connection has delivered the session's last window
      // (and the universe is known); otherwise the grace period bounds the wait.
      const bool all_at_close = std::all_of(readers.begin(), readers.end(), [&](const auto& r) {
        return r->last_event_end_ms() >= session.close_ms;
      });
      const bool universe_known = universe || !options_feed;
      if (Clock::now() >= *close_deadline || (all_at_close && universe_known)) break;
    }
    if (st.news_poll_seconds > 0 && Clock::now() >= next_news && now >= session.open_ms) {
      poll_news();
      next_news = Clock::now() + news_interval;
    }
    // Drain what is queued (bounded per turn so the checks above keep running).
    for (int i = 0; i < 256 && ingest->pop(batch, milliseconds(i == 0 ? 100 : 0)); ++i)
      for (std::size_t k = 0; k < batch.size(); ++k) process(batch[k]);
    const auto q = ingest->queue_stats();
    for (auto& c : counters) {
      c.set_queue_depth(q.depth);
      c.spilled.store(q.spilled_records, std::memory_order_relaxed);
    }
    if (Clock::now() >= next_commit) {
      if (book.bars_added() != committed_added) {
        committed_added = book.bars_added();
        commit_day(book, window, true);
      }
      next_commit = Clock::now() + commit_interval;
    }
    if (Clock::now() >= next_check) {
      check_staleness(now_utc_ms());
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
  for (auto& r : readers) r->request_stop(at_close);
  for (auto& r : readers) r->join();
  gaps->finish();
  ingest->close_queue();
  RecordBatch batch;
  while (ingest->pop(batch, milliseconds(0)))
    for (std::size_t k = 0; k < batch.size(); ++k) process(batch[k]);
  // A stop must be quick (soi stop waits): the day's last news poll is for the close.
  if (fatal.empty() && at_close && cfg.settings.stream.news_poll_seconds > 0) poll_news();
  const BarWindow window{session.open_ms, session.close_ms, 1000};
  // Nothing received (e.g. refused at login): leave the day's partitions alone.
  summary.ok = book.bars_added() == 0 || commit_day(book, window, true, true);
  for (auto& [key, day] : other_days) summary.ok &= commit_day(day, job.session_window(day.date()), false, true);
  for (auto& c : counters) c.set_connection(ConnectionStatus::closed);
  for (auto& h : heartbeats)
    if (h) h->stop();

  if (fatal.empty() && !readers.empty() &&
      std::none_of(readers.begin(), readers.end(), [](const auto& r) { return r->connects() > 0; })) {
    fatal = "no WebSocket connection was accepted during the session (see the errors log: e.g. the account's "
            "connection limit, max_connections)";
    fatal_category = "rate_limit";
  }
  summary.error = fatal;
  if (!fatal.empty()) {
    summary.ok = false;
    summary.error_category = fatal_category.empty() ? "network" : fatal_category;
  }
  const auto q = ingest->queue_stats();
  summary.spilled_batches = q.spilled_batches;
  for (const auto& c : counters) {
    summary.events += c.messages_total.load();
    summary.reconnects += c.reconnects.load();
  }
  summary.replayed = replayed;
  // Everything this session sent to the quarantine: the writer's rejects, the
  // readers' (malformed / unknown events) and the gap repairs'.
  summary.quarantined = s.backfill.quarantine.total() - quarantine_at_start;
  summary.late = late_rejects;
  summary.gaps = gaps->gaps();
  summary.gap_bars = gaps->bars_recovered();
  summary.commits = commits;
  summary.news_articles = news_articles;
  summary.contracts = universe ? universe->contracts.size() : 0;
  summary.connections = readers.size();
  for (StreamFeed feed : streamed) {
    if (!feed_enabled(feed)) continue;
    StreamFeedCounts counts;
    counts.feed = spec(feed).name;
    counts.rows = book.rows(feed);
    counts.tickers = book.tickers(feed);
    summary.feeds.push_back(std::move(counts));
  }
}

StreamSession::StreamSession(StreamServices services, SessionWindow session, StreamControl& control)
    : impl_(std::make_unique<Impl>(services, std::move(session), control)) {}
StreamSession::~StreamSession() = default;

StreamSessionSummary StreamSession::run() { return impl_->run(); }

}  // namespace soi
