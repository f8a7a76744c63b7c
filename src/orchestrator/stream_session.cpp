#include "orchestrator/stream_session.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "monitoring/heartbeat.hpp"
#include "monitoring/logging.hpp"
#include "orchestrator/gap_repair.hpp"
#include "orchestrator/news_backfill.hpp"
#include "orchestrator/options_backfill.hpp"
#include "orchestrator/stream_ingest.hpp"
#include "orchestrator/superseded_days.hpp"
#include "orchestrator/ws_reader.hpp"
#include "processing/late_data.hpp"
#include "processing/stream_day_book.hpp"
#include "sinks/parquet/bar_partition_reader.hpp"
#include "sinks/parquet/parquet_sink.hpp"
#include "utils/error.hpp"
#include "utils/time_util.hpp"

namespace soi {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Heartbeat sources, one per market connection group.
constexpr std::array<WsMarket, 3> kMarkets = {WsMarket::stocks, WsMarket::indices, WsMarket::options};
constexpr std::size_t market_index(WsMarket m) { return static_cast<std::size_t>(m); }

WsMarketUrls market_urls(const WebSocketConfig& ws) {
  if (ws.base_url.empty())
    return WsMarketUrls::for_feed(ws.provider == "polygon" ? WsProvider::polygon : WsProvider::massive,
                                  ws.feed == "delayed" ? WsFeed::delayed : WsFeed::realtime);
  return WsMarketUrls::under(ws.base_url);
}

}  // namespace

struct StreamSession::Impl {
  Impl(StreamServices services, SessionWindow window, StreamControl& ctl)
      : s(services),
        cfg(services.backfill.config),
        session(std::move(window)),
        control(ctl),
        book(session.date, static_cast<std::size_t>(std::max<std::int64_t>(0, session.close_ms - session.open_ms) / 1000)),
        late(cfg.settings.late_data, IngestMode::streaming, &services.backfill.calendar),
        job(services.backfill),
        urls(market_urls(cfg.sources.websocket)) {}

  StreamSessionSummary run();

  // ---- recovery ----
  void seed_from_committed(StreamDayBook& target, Date d);
  StreamDayBook& other_day(Date d);  // a day other than the session's, seeded on first use
  void recover();
  // ---- the writer's record path ----
  // fill_only (a replayed record older than a backfill of its day): the record
  // only fills a (ticker, second) the committed day lacks.
  void route(const WalRecord& record, Date current, bool live, bool fill_only = false);
  void add_to(StreamDayBook& day, StreamFeed feed, const WalRecord& r, bool fill_only);
  void process(const WalRecord& record) { route(record, session.date, true); }
  void quarantine(const WalRecord& record, std::string_view reason);
  bool feed_enabled(StreamFeed feed) const;
  // ---- connections ----
  WsReaderConfig reader_config(WsMarket market, StreamFeed feed, std::size_t shard, std::string url,
                               std::vector<std::string> topics);
  void start_reader(WsReaderConfig config);
  void start_base_readers();
  WsReader* stocks_reader() const;
  // ---- options universe ----
  void maybe_discover_universe();
  void track_contracts(const std::vector<OptionContract>& contracts);
  void recenter();
  // ---- periodic work ----
  // last: the day's final commit, which moves the bars out of `day` (no copy).
  bool commit_day(StreamDayBook& day, const BarWindow& window, bool all_feeds, bool last = false);
  void poll_news();
  void check_staleness(std::int64_t now_ms);
  std::int64_t market_now();
  std::string fatal_error() const;
  bool fatal_is_auth() const;
  void stream_until_close(StreamSessionSummary& summary);
  void finish(StreamSessionSummary& summary);

  StreamServices s;
  const Config& cfg;
  SessionWindow session;
  StreamControl& control;
  StreamDayBook book;
  std::map<int, StreamDayBook> other_days;  // late records accepted by policy, or recovered from the log
  LateDataPolicy late;
  BackfillJob job;
  WsMarketUrls urls;

  std::unique_ptr<StreamIngest> ingest;
  std::unique_ptr<GapJournal> gap_journal;
  std::unique_ptr<GapRepairer> gaps;
  std::array<StreamCounters, 3> counters;
  std::vector<std::unique_ptr<HeartbeatWriter>> heartbeats;
  std::array<bool, 3> stale_alerted{};
  std::vector<std::unique_ptr<WsReader>> readers;
  std::size_t options_connections = 0;

  std::optional<OptionsUniverse> universe;
  std::optional<OptionsUniverse> committed_universe;  // an earlier run's of the day (a restart)
  std::unique_ptr<OptionsBackfillJob> options_job;
  Clock::time_point open_seen_at{};  // when market time first reached the open
  Clock::time_point next_discovery{};
  std::string fatal;
  std::string fatal_category;  // "auth", "network", ... when fatal is set
  bool keep_log = false;       // a recovered day failed to commit: the log keeps everything

  std::uint64_t quarantine_at_start = 0;
  std::uint64_t late_rejects = 0, replayed = 0, commits = 0, news_articles = 0;
  std::uint64_t superseded = 0;  // replayed records a later backfill of their day already had
  std::uint64_t committed_added = ~0ull;  // book.bars_added() at the last commit
};

bool StreamSession::Impl::feed_enabled(StreamFeed feed) const {
  switch (feed) {
    case StreamFeed::spy: return cfg.sources.spy.enabled;
    case StreamFeed::vix: return cfg.sources.vix.enabled;
    case StreamFeed::options: return cfg.sources.options.enabled;
  }
  return false;
}

void StreamSession::Impl::seed_from_committed(StreamDayBook& target, Date d) {
  for (StreamFeed feed : {StreamFeed::spy, StreamFeed::vix, StreamFeed::options}) {
    if (!feed_enabled(feed)) continue;
    for (const BarDay& day : read_bar_partition(parquet_partition_file(s.data_dir, feed_name(feed), d), feed_name(feed), d))
      target.add_day(feed, day);
  }
}

// The committed day from Parquet, then what the log received after the last
// checkpoint: exactly the state the previous run had, whatever killed it.
void StreamSession::Impl::recover() {
  seed_from_committed(book, session.date);
  // A backfill that replaced a day after these records were received has the
  // day as REST has it: those records only fill what it lacks (see SupersededDays).
  const SupersededDays backfilled(superseded_days_file(s.data_dir));
  replayed = ingest->replay([&](const WalRecord& r) {
    const auto feed = stream_feed_from_id(r.feed);
    const bool older = feed && backfilled.superseded(feed_name(*feed), ny_date_of_utc_ms(r.bar.ts_ms), r.receive_ms);
    route(r, ny_date_of_utc_ms(r.receive_ms), false, older);
  });
  replayed -= superseded;
  if (replayed || superseded)
    exec_log().info("stream {}: replayed {} record(s) from the write-ahead log; {} older than a backfill that has "
                    "their second skipped", format_date(session.date), replayed, superseded);
}

void StreamSession::Impl::quarantine(const WalRecord& r, std::string_view reason) {
  const auto feed = stream_feed_from_id(r.feed);
  const std::string raw = fmt::format(
      R"({{"ev":"A","sym":"{}","s":{},"o":{},"h":{},"l":{},"c":{},"v":{},"vw":{}}})", r.symbol, r.bar.ts_ms,
      r.bar.open, r.bar.high, r.bar.low, r.bar.close, r.bar.volume, r.bar.vwap);
  s.backfill.quarantine.add(feed ? feed_name(*feed) : "stream", ny_date_of_utc_ms(r.bar.ts_ms), r.symbol, reason, raw,
                            "websocket");
}

// Where a record belongs, decided the same way live and on replay: `current` is
// the day it was received on (the session's day live, the receive day in a
// replay). Live rejects go to the quarantine; replayed ones were quarantined
// when they were received, so they are only skipped.
void StreamSession::Impl::add_to(StreamDayBook& day, StreamFeed feed, const WalRecord& r, bool fill_only) {
  if (fill_only && day.holds(feed, r.symbol, r.bar.ts_ms)) {
    ++superseded;
    return;
  }
  day.add(feed, r.symbol, r.bar);
}

void StreamSession::Impl::route(const WalRecord& r, Date current, bool live, bool fill_only) {
  const auto feed = stream_feed_from_id(r.feed);
  if (!feed) {
    if (live) quarantine(r, "record of an unknown feed id");
    return;
  }
  if (r.bar.ts_ms >= session.open_ms && r.bar.ts_ms < session.close_ms) return add_to(book, *feed, r, fill_only);
  const Date d = ny_date_of_utc_ms(r.bar.ts_ms);
  std::string reason;
  if (to_sys(d) > to_sys(current)) {
    reason = fmt::format("future_session: bar at {} belongs to a later day than {}", format_utc_iso_ms(r.bar.ts_ms),
                         format_date(current));
  } else if (const auto verdict = late.check(r.bar.ts_ms, current); !verdict) {
    if (live) ++late_rejects;
    reason = verdict.reason;
  } else if (const BarWindow w = job.session_window(d);
             !s.backfill.calendar.is_trading_day(d) || r.bar.ts_ms < w.from_ms || r.bar.ts_ms >= w.to_ms) {
    reason = fmt::format("outside_session: bar at {} is outside the regular session of {}",
                         format_utc_iso_ms(r.bar.ts_ms), format_date(d));
  }
  if (!reason.empty()) {
    if (live) quarantine(r, reason);
    return;
  }
  // Another day's session: accepted late (late_data policy) or recovered from the log.
  if (d == session.date) return add_to(book, *feed, r, fill_only);
  add_to(other_day(d), *feed, r, fill_only);
}

StreamDayBook& StreamSession::Impl::other_day(Date d) {
  const auto key = static_cast<int>(to_sys(d).time_since_epoch().count());
  auto it = other_days.find(key);
  if (it == other_days.end()) {
    it = other_days.emplace(key, StreamDayBook(d)).first;
    seed_from_committed(it->second, d);  // merged with what that day already holds
  }
  return it->second;
}

// ---- connections ----

WsReaderConfig StreamSession::Impl::reader_config(WsMarket market, StreamFeed feed, std::size_t shard,
                                                  std::string url, std::vector<std::string> topics) {
  WsReaderConfig c;
  c.market = market;
  c.feed = feed;
  c.shard = shard;
  c.url = std::move(url);
  c.topics = std::move(topics);
  c.api_key = s.api_key;
  c.client.source = std::string(feed_name(feed));
  c.client.connect_timeout = seconds(cfg.retry.connect_timeout_seconds);
  c.reconnect = ReconnectPolicy::from_retry(cfg.retry);
  c.underlying = cfg.sources.spy.ticker;
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
  if (cfg.sources.spy.enabled || cfg.sources.options.enabled)
    plan.stock_topics.push_back(ws_topic("A", cfg.sources.spy.ticker));
  if (cfg.sources.vix.enabled) plan.index_topics.push_back(ws_topic("A", cfg.sources.vix.ticker));
  plan.urls = urls;
  plan.max_per_connection = static_cast<std::size_t>(cfg.sources.websocket.max_subscriptions_per_connection);
  for (auto& c : plan_ws_connections(plan)) {
    const StreamFeed feed = c.market == WsMarket::indices ? StreamFeed::vix : StreamFeed::spy;
    start_reader(reader_config(c.market, feed, c.shard, c.url, std::move(c.topics)));
  }
}

WsReader* StreamSession::Impl::stocks_reader() const {
  for (const auto& r : readers)
    if (r->config().feed == StreamFeed::spy) return r.get();
  return nullptr;
}

// ---- options universe ----

// Subscribes the contracts (not yet tracked): onto connections with room first,
// then new connections up to the account's limit; what still does not fit is
// reported (it is never dropped silently).
void StreamSession::Impl::track_contracts(const std::vector<OptionContract>& contracts) {
  const auto per_connection = static_cast<std::size_t>(cfg.sources.websocket.max_subscriptions_per_connection);
  const auto max_connections = static_cast<std::size_t>(cfg.sources.websocket.max_connections_per_market);
  std::vector<std::string> topics;
  for (const auto& c : contracts) {
    book.set_contract(c);
    topics.push_back(ws_topic("A", c.ticker));
  }
  std::size_t next = 0;
  for (auto& r : readers) {
    if (r->config().feed != StreamFeed::options || next == topics.size()) continue;
    const std::size_t room = per_connection > r->topic_count() ? per_connection - r->topic_count() : 0;
    const std::size_t take = std::min(room, topics.size() - next);
    if (take) r->add_topics({topics.begin() + next, topics.begin() + next + take});
    next += take;
  }
  while (next < topics.size() && options_connections < max_connections) {
    const std::size_t take = std::min(per_connection, topics.size() - next);
    start_reader(reader_config(WsMarket::options, StreamFeed::options, options_connections, urls.options,
                               {topics.begin() + next, topics.begin() + next + take}));
    ++options_connections;
    next += take;
  }
  if (next < topics.size())
    s.backfill.errors.record(
        ErrorCategory::rate_limit,
        fmt::format("{} option contract(s) are not streamed: the universe needs {} connection(s) of {} subscriptions "
                    "but websocket.max_connections_per_market allows {}; raise it if your plan allows more "
                    "connections (the backfill after the close still fetches them)",
                    topics.size() - next, (topics.size() + per_connection - 1) / per_connection, per_connection,
                    max_connections),
        ErrorContext{"options", cfg.sources.options.underlying, format_date(session.date), ""});
}

void StreamSession::Impl::maybe_discover_universe() {
  if (universe || !cfg.sources.options.enabled || Clock::now() < next_discovery) return;
  if (market_now() < session.open_ms) return;
  if (committed_universe) {
    // A restart the same day keeps the day's universe (re-centred contracts
    // included): no new centre, nothing to wait for.
    universe = std::move(committed_universe);
    committed_universe.reset();
    track_contracts(universe->contracts);
    return;
  }
  if (open_seen_at == Clock::time_point{}) open_seen_at = Clock::now();
  std::optional<OptionsBackfillJob::Centre> centre;
  const WsReader* stocks = stocks_reader();
  if (stocks && stocks->day_open() > 0) centre = OptionsBackfillJob::Centre{stocks->day_open(), OpenSource::ws_op};
  else if (Clock::now() - open_seen_at < seconds(cfg.settings.stream.open_wait_seconds)) return;
  const ErrorContext context{"options", cfg.sources.options.underlying, format_date(session.date), ""};
  try {
    DayOutcome out;
    OptionsUniverse u = options_job->discover_universe(session.date, centre, out);
    DayOutcome commit_out;
    job.commit(ContractsPartition{session.date, u}, "options_contracts", context, commit_out);
    exec_log().info("stream {}: options universe centred on {:.2f} ({}): {} contracts in [{:.2f}, {:.2f}]",
                    format_date(session.date), u.open, to_string(u.open_source), u.contracts.size(), u.strike_low,
                    u.strike_high);
    universe = std::move(u);
    track_contracts(universe->contracts);
  } catch (const SoiError& e) {
    s.backfill.errors.record(e);
    if (e.category() == ErrorCategory::auth) {
      fatal = e.what();
      fatal_category = "auth";
    }
    next_discovery = Clock::now() + seconds(std::max(5, cfg.settings.stream.open_wait_seconds));
  }
}

// A new centre on the underlying's last price; contracts already tracked stay
// tracked (their bars so far belong to the day), new ones are added.
void StreamSession::Impl::recenter() {
  const WsReader* stocks = stocks_reader();
  if (!universe || !stocks || stocks->last_price() <= 0) {
    exec_log().warn("stream: re-centre ignored (no options universe or no {} price yet)", cfg.sources.spy.ticker);
    return;
  }
  const ErrorContext context{"options", cfg.sources.options.underlying, format_date(session.date), ""};
  try {
    DayOutcome out;
    OptionsUniverse fresh = options_job->discover_universe(
        session.date, OptionsBackfillJob::Centre{stocks->last_price(), OpenSource::recenter}, out);
    std::set<std::string> known;
    for (const auto& c : universe->contracts) known.insert(c.ticker);
    std::vector<OptionContract> added;
    for (const auto& c : fresh.contracts)
      if (!known.count(c.ticker)) added.push_back(c);
    universe->open = fresh.open;
    universe->open_source = fresh.open_source;
    universe->strike_low = fresh.strike_low;
    universe->strike_high = fresh.strike_high;
    universe->contracts.insert(universe->contracts.end(), added.begin(), added.end());
    std::sort(universe->contracts.begin(), universe->contracts.end(),
              [](const OptionContract& a, const OptionContract& b) { return a.ticker < b.ticker; });
    DayOutcome commit_out;
    job.commit(ContractsPartition{session.date, *universe}, "options_contracts", context, commit_out);
    exec_log().info("stream {}: universe re-centred on {:.2f}: {} new contract(s), {} tracked",
                    format_date(session.date), fresh.open, added.size(), universe->contracts.size());
    track_contracts(added);
    // The added contracts traded before the re-centre too: their day so far comes over REST.
    GapRequest morning{StreamFeed::options, "options", {}, session.open_ms,
                       std::min(market_now(), session.close_ms), "recenter"};
    for (const auto& c : added) morning.tickers.push_back(c.ticker);
    gaps->submit(std::move(morning));
  } catch (const SoiError& e) {
    s.backfill.errors.record(e);
  }
}

// ---- periodic work ----

bool StreamSession::Impl::commit_day(StreamDayBook& day, const BarWindow& window, bool all_feeds, bool last) {
  const auto position = ingest->drained_position();
  bool ok = true;
  for (StreamFeed feed : {StreamFeed::vix, StreamFeed::spy, StreamFeed::options}) {
    if (!feed_enabled(feed) || (!all_feeds && day.tickers(feed) == 0)) continue;
    const std::vector<BarDay> days = last ? day.take(feed) : day.snapshot(feed);
    DayOutcome out;
    const ErrorContext context{std::string(feed_name(feed)), "", format_date(day.date()), ""};
    ok &= job.commit(BarPartition{feed_name(feed), day.date(), days, window.from_ms, window.to_ms}, feed_name(feed),
                     context, out);
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
    if (r->config().feed != StreamFeed::options && r->last_event_end_ms() > 0)
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
    if (cfg.sources.options.enabled)
      committed_universe =
          read_universe_partition(parquet_partition_file(s.data_dir, "options_contracts", session.date), session.date);
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
  gaps = std::make_unique<GapRepairer>(GapRepairServices{cfg, s.worker_client(), s.index_client, *ingest,
                                                          s.backfill.quarantine, s.backfill.errors, session.date,
                                                          (std::filesystem::path(s.log_dir) / "gaps.jsonl").string(),
                                                          gap_journal.get()});
  // Repairs a killed run still owed (their windows are not in the log).
  try {
    for (auto& owed : gap_journal->take_open(session.date)) gaps->submit(std::move(owed));
  } catch (const SoiError& e) {
    s.backfill.errors.record(e);
  }
  if (cfg.sources.options.enabled) options_job = std::make_unique<OptionsBackfillJob>(s.backfill, s.worker_client);
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
      const bool universe_known = universe || !cfg.sources.options.enabled;
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
  for (StreamFeed feed : {StreamFeed::spy, StreamFeed::vix, StreamFeed::options}) {
    if (!feed_enabled(feed)) continue;
    StreamFeedCounts counts;
    counts.feed = std::string(feed_name(feed));
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
