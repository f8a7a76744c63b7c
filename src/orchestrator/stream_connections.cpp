#include "orchestrator/stream_connections.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "utils/error.hpp"
#include "utils/time_util.hpp"

namespace soi {

namespace {

using std::chrono::seconds;

constexpr std::array<WsMarket, 3> kAllMarkets = {WsMarket::stocks, WsMarket::indices, WsMarket::options};
constexpr std::size_t market_index(WsMarket m) { return static_cast<std::size_t>(m); }

WsMarketUrls market_urls(const WebSocketConfig& ws) {
  if (ws.base_url.empty())
    return WsMarketUrls::for_feed(ws.provider == "polygon" ? WsProvider::polygon : WsProvider::massive,
                                  ws.feed == "delayed" ? WsFeed::delayed : WsFeed::realtime);
  return WsMarketUrls::under(ws.base_url);
}

}  // namespace

StreamConnectionSet::StreamConnectionSet(Services services, Date date, BarWindow session,
                                         const StreamDayBook& resume_from)
    : s_(std::move(services)),
      date_(date),
      session_(session),
      resume_from_(resume_from),
      urls_(market_urls(s_.feeds.config().sources.websocket)) {}

StreamConnectionSet::~StreamConnectionSet() = default;

WsReaderConfig StreamConnectionSet::reader_config(WsMarket market, StreamFeed feed, std::size_t shard,
                                                  std::string url, std::vector<std::string> topics) const {
  const Config& cfg = s_.feeds.config();
  WsReaderConfig c;
  c.market = market;
  c.feed = feed;
  c.feed_name = s_.feeds.spec(feed).name;
  c.shard = shard;
  c.url = std::move(url);
  c.topics = std::move(topics);
  c.api_key = s_.api_key;
  c.client.source = c.feed_name;
  c.client.connect_timeout = seconds(cfg.retry.connect_timeout_seconds);
  c.reconnect = ReconnectPolicy::from_retry(cfg.retry);
  // The connection of a feed an enabled feed depends on (SPY, for the options
  // band) carries the underlying's open and last price.
  for (StreamFeed other : s_.feeds.all()) {
    const FeedSpec& dependent = s_.feeds.spec(other);
    if (dependent.enabled(cfg) &&
        std::find(dependent.depends_on.begin(), dependent.depends_on.end(), c.feed_name) !=
            dependent.depends_on.end()) {
      c.underlying = s_.feeds.spec(feed).rest_tickers(cfg).front();
      break;
    }
  }
  // The last second this connection's own tickers reached (a restart), not the
  // feed's: another shard may have kept receiving while this one was down.
  std::optional<std::int64_t> last;
  for (const auto& topic : c.topics) {
    const auto t = resume_from_.last_ts(feed, ws_topic_symbol(topic));
    if (t && (!last || *t > *last)) last = t;
  }
  c.first_gap_start_ms = last ? std::max(*last, session_.from_ms) : session_.from_ms;
  c.first_gap_reason = last ? "restart" : "start";
  c.session_close_ms = session_.to_ms;
  return c;
}

void StreamConnectionSet::start_reader(WsReaderConfig config) {
  const auto m = market_index(config.market);
  if (!heartbeats_[m]) {
    heartbeats_[m] = std::make_unique<HeartbeatWriter>(
        s_.log_dir, std::string(to_string(config.market)), counters_[m],
        seconds(s_.feeds.config().settings.stream.heartbeat_interval_seconds));
    heartbeats_[m]->write(now_utc_ms());  // on disk before anyone (our own stale check) looks
    heartbeats_[m]->start();
  }
  WsReaderServices services{s_.ingest, s_.gaps, s_.quarantine, s_.drift, s_.errors, counters_[m], date_};
  auto reader = std::make_unique<WsReader>(std::move(config), services);
  reader->start();
  readers_.push_back(std::move(reader));
}

void StreamConnectionSet::start_base() {
  const Config& cfg = s_.feeds.config();
  WsPlanRequest plan;
  plan.stock_topics.clear();
  plan.index_topics.clear();
  // One feed per market: a connection's events are all logged as its feed's.
  std::map<WsMarket, StreamFeed> feed_of_market;
  for (StreamFeed feed : s_.feeds.all()) {
    const FeedSpec& f = s_.feeds.spec(feed);
    // The options contracts are subscribed once the universe is known.
    if (f.dataset == DatasetKind::option_bars || !s_.feeds.registry().needed(f, cfg)) continue;
    const auto market = ws_market_from(f.ws_market);
    if (!market || *market == WsMarket::options)
      throw SoiError(ErrorCategory::config, "feed " + f.name + ": no base connection for WebSocket market '" +
                                                f.ws_market + "'");
    if (!feed_of_market.emplace(*market, feed).second)
      throw SoiError(ErrorCategory::config, "feeds " + s_.feeds.spec(feed_of_market.at(*market)).name + " and " +
                                                f.name + " share the " + f.ws_market +
                                                " connection; one streamed feed per market is supported");
    auto& topics = *market == WsMarket::indices ? plan.index_topics : plan.stock_topics;
    for (const std::string& ticker : f.rest_tickers(cfg)) topics.push_back(ws_topic(f.ws_topic_prefix, ticker));
  }
  plan.urls = urls_;
  plan.max_per_connection = static_cast<std::size_t>(cfg.sources.websocket.max_subscriptions_per_connection);
  for (auto& c : plan_ws_connections(plan))
    start_reader(reader_config(c.market, feed_of_market.at(c.market), c.shard, c.url, std::move(c.topics)));
}

std::size_t StreamConnectionSet::add_option_topics(const std::vector<std::string>& topics) {
  const Config& cfg = s_.feeds.config();
  const StreamFeed options = *s_.feeds.options();
  const auto per_connection = static_cast<std::size_t>(cfg.sources.websocket.max_subscriptions_per_connection);
  const auto max_connections = static_cast<std::size_t>(cfg.sources.websocket.max_connections_per_market);
  std::size_t next = 0;
  for (auto& r : readers_) {
    if (r->config().feed != options || next == topics.size()) continue;
    const std::size_t room = per_connection > r->topic_count() ? per_connection - r->topic_count() : 0;
    const std::size_t take = std::min(room, topics.size() - next);
    if (take) r->add_topics({topics.begin() + next, topics.begin() + next + take});
    next += take;
  }
  while (next < topics.size() && options_connections_ < max_connections) {
    const std::size_t take = std::min(per_connection, topics.size() - next);
    start_reader(reader_config(WsMarket::options, options, options_connections_, urls_.options,
                               {topics.begin() + next, topics.begin() + next + take}));
    ++options_connections_;
    next += take;
  }
  return topics.size() - next;
}

const WsReader* StreamConnectionSet::underlying() const {
  for (const auto& r : readers_)
    if (!r->config().underlying.empty()) return r.get();
  return nullptr;
}

std::optional<std::int64_t> StreamConnectionSet::data_time_ms() const {
  std::optional<std::int64_t> slowest;
  for (const auto& r : readers_)
    if (r->config().feed != s_.feeds.options() && r->last_event_end_ms() > 0)
      slowest = std::min(slowest.value_or(INT64_MAX), r->last_event_end_ms());
  return slowest;
}

bool StreamConnectionSet::all_reached(std::int64_t ms) const {
  return std::all_of(readers_.begin(), readers_.end(), [&](const auto& r) { return r->last_event_end_ms() >= ms; });
}

bool StreamConnectionSet::fatal_is_auth() const {
  return std::any_of(readers_.begin(), readers_.end(), [](const auto& r) { return r->fatal_is_auth(); });
}

std::string StreamConnectionSet::fatal_error() const {
  bool any_alive = false;
  std::string error;
  for (const auto& r : readers_) {
    const std::string e = r->fatal_error();
    if (e.empty()) any_alive = true;
    else if (r->fatal_is_auth()) return e;
    else error = e;
  }
  return any_alive ? "" : error;
}

bool StreamConnectionSet::none_ever_connected() const {
  return !readers_.empty() &&
         std::none_of(readers_.begin(), readers_.end(), [](const auto& r) { return r->connects() > 0; });
}

void StreamConnectionSet::check_staleness(std::int64_t now_ms) {
  const std::int64_t stale_ms = std::int64_t{s_.feeds.config().settings.stream.stale_heartbeat_seconds} * 1000;
  for (WsMarket m : kAllMarkets) {
    const auto i = market_index(m);
    if (!heartbeats_[i]) continue;
    HeartbeatCheck check = check_heartbeat(heartbeats_[i]->path(), now_ms, seconds(stale_ms / 1000));
    // The file is rewritten by its own thread; a connection that stopped
    // delivering is stale too: no message for the threshold while streaming.
    const std::int64_t last = counters_[i].last_message_ms.load();
    if (!check.stale() && now_ms - (last ? last : now_ms) > stale_ms) {
      check.state = HeartbeatState::stale;
      check.age_seconds = static_cast<double>(now_ms - last) / 1000.0;
      check.message = fmt::format("no {} message for {:.0f} s (threshold {} s); connection {}", to_string(m),
                                  check.age_seconds, stale_ms / 1000,
                                  to_string(static_cast<ConnectionStatus>(counters_[i].connection.load())));
    }
    if (check.stale() && !stale_alerted_[i]) stale_alerted_[i] = record_heartbeat_alert(s_.errors, to_string(m), check);
    if (!check.stale()) stale_alerted_[i] = false;
  }
}

void StreamConnectionSet::publish_queue_stats(const SpillQueueStats& stats) {
  for (auto& c : counters_) {
    c.set_queue_depth(stats.depth);
    c.spilled.store(stats.spilled_records, std::memory_order_relaxed);
  }
}

void StreamConnectionSet::stop(bool at_close) {
  for (auto& r : readers_) r->request_stop(at_close);
  for (auto& r : readers_) r->join();
}

void StreamConnectionSet::close() {
  for (auto& c : counters_) c.set_connection(ConnectionStatus::closed);
  for (auto& h : heartbeats_)
    if (h) h->stop();
}

std::uint64_t StreamConnectionSet::events() const {
  std::uint64_t n = 0;
  for (const auto& c : counters_) n += c.messages_total.load();
  return n;
}

std::uint64_t StreamConnectionSet::reconnects() const {
  std::uint64_t n = 0;
  for (const auto& c : counters_) n += c.reconnects.load();
  return n;
}

}  // namespace soi
