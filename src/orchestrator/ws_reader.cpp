#include "orchestrator/ws_reader.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "monitoring/logging.hpp"
#include "utils/error.hpp"
#include "utils/time_util.hpp"

namespace soi {
WsReader::WsReader(WsReaderConfig config, WsReaderServices services)
    : config_(std::move(config)), s_(services) {}

WsReader::~WsReader() {
  request_stop();
  join();
}

void WsReader::start() {
  thread_ = std::thread([this] { run(); });
}

void WsReader::request_stop(bool repair_to_close) {
  if (repair_to_close) repair_to_close_.store(true);
  stop_.store(true);
  {
    std::lock_guard lock(mutex_);
    if (connection_) connection_->request_stop();
  }
  std::lock_guard lock(sleep_mutex_);
  sleep_cv_.notify_all();
}

void WsReader::join() {
  if (thread_.joinable()) thread_.join();
}

void WsReader::add_topics(std::vector<std::string> topics) {
  std::lock_guard lock(mutex_);
  pending_topics_.insert(pending_topics_.end(), std::make_move_iterator(topics.begin()),
                         std::make_move_iterator(topics.end()));
  // A quiet connection (no frame for a while) subscribes them now, not at its next frame.
  if (connection_) connection_->wake();
}

std::size_t WsReader::topic_count() const {
  std::lock_guard lock(mutex_);
  return config_.topics.size() + pending_topics_.size();
}

std::string WsReader::fatal_error() const {
  std::lock_guard lock(mutex_);
  return fatal_;
}

bool WsReader::sleep_interruptibly(std::chrono::milliseconds delay) {
  std::unique_lock lock(sleep_mutex_);
  sleep_cv_.wait_for(lock, delay, [&] { return stop_.load(); });
  return !stop_.load();
}

void WsReader::submit_gap(std::int64_t start, std::int64_t end, const char* reason) {
  GapRequest request;
  request.feed = config_.feed;
  request.market = std::string(to_string(config_.market));
  {
    std::lock_guard lock(mutex_);
    for (const auto& t : config_.topics) request.tickers.emplace_back(ws_topic_symbol(t));
  }
  // Never past the session's close: a reconnect after it may see the next session.
  request.start_ms = start;
  request.end_ms = config_.session_close_ms > 0 ? std::min(end, config_.session_close_ms) : end;
  request.reason = reason;
  s_.gaps.submit(std::move(request));
}

void WsReader::apply_pending_topics(WsConnection& connection) {
  std::vector<std::string> topics;
  {
    std::lock_guard lock(mutex_);
    if (pending_topics_.empty()) return;
    topics.swap(pending_topics_);
    config_.topics.insert(config_.topics.end(), topics.begin(), topics.end());
  }
  const WsSubscribeResult result = connection.subscribe(topics);
  if (!result.ok())
    s_.errors.record(ErrorCategory::network,
                     fmt::format("{} of {} new topic(s) not confirmed by the server", result.unconfirmed.size() +
                                 result.errors.size(), topics.size()),
                     ErrorContext{config_.feed_name, "", format_date(s_.date), connection.url().text()});
}

void WsReader::read_connection(WsConnection& connection, std::optional<std::int64_t>& gap_start,
                               const char*& gap_reason) {
  const std::string source(config_.feed_name);
  const std::string url = connection.url().text();
  const std::uint8_t feed_id = config_.feed.index;
  WsEventParser parser;
  WsFrame frame;
  RecordBatch batch;
  std::string buffer;
  while (!stop_.load(std::memory_order_relaxed)) {
    const WsReadResult read = connection.read(buffer);
    if (read == WsReadResult::closed) break;
    if (read == WsReadResult::woken) {
      apply_pending_topics(connection);
      continue;
    }
    const std::int64_t received = now_utc_ms();
    frame.clear();
    parser.parse(simdjson::padded_string_view(buffer), frame);
    for (const auto& status : frame.statuses) {
      if (status.status == WsStatus::success || status.status == WsStatus::auth_success ||
          status.status == WsStatus::connected)
        continue;
      exec_log().warn("{} stream ({}): server status {} '{}'", source, url, status.status_text, status.message);
      // Another client with this key took the slot: back off like a refused connect, and say so once.
      if (status.status == WsStatus::max_connections && !limited_.exchange(true))
        s_.errors.record(ErrorCategory::rate_limit,
                         fmt::format("the server closed the connection: max_connections ({}); another client uses "
                                     "this API key's connection for {}",
                                     status.message, to_string(config_.market)),
                         ErrorContext{source, "", format_date(s_.date), url});
    }
    for (const auto& reject : frame.rejects)
      s_.quarantine.add(source, s_.date, "", reject.reason, reject.raw_json, url);
    for (const auto& drift : frame.drift) s_.drift.observe(source, s_.date, drift.field, drift.kind, drift.example);

    std::int64_t max_ts = INT64_MIN, max_end = 0, resume_ts = INT64_MAX;
    for (const WsAggEvent& agg : frame.aggs) {
      if (agg.kind != WsAggKind::second) continue;
      if (agg.symbol.empty() || agg.symbol.size() > RecordBatch::kMaxSymbolBytes) {
        s_.quarantine.add(source, s_.date, "", "invalid_symbol: empty or longer than 255 bytes",
                          std::string(agg.symbol.substr(0, 300)), url);
        continue;
      }
      batch.add(feed_id, agg.symbol, agg.bar, received);
      // The first second after the outage: older (late, re-sent) bars do not end the gap.
      if (gap_start && agg.bar.ts_ms > *gap_start) resume_ts = std::min(resume_ts, agg.bar.ts_ms);
      max_ts = std::max(max_ts, agg.bar.ts_ms);
      max_end = std::max(max_end, (agg.extra & kWsAggHasEnd) ? agg.end_ms : agg.bar.ts_ms + 1000);
      if (!config_.underlying.empty() && agg.symbol == config_.underlying) {
        if ((agg.extra & kWsAggHasDayOpen) && agg.day_open > 0 && day_open_.load() == 0)
          day_open_.store(agg.day_open);
        last_price_.store(agg.bar.close, std::memory_order_relaxed);
      }
    }
    if (!batch.empty()) {
      if (gap_start && resume_ts != INT64_MAX) {
        submit_gap(*gap_start, resume_ts, gap_reason);
        gap_start.reset();
      }
      const std::size_t n = batch.size();
      s_.ingest.submit(batch);
      s_.counters.on_message(max_ts, received, n);
      if (max_ts > last_ts_.load(std::memory_order_relaxed)) last_ts_.store(max_ts, std::memory_order_relaxed);
      if (max_end > last_end_.load(std::memory_order_relaxed)) last_end_.store(max_end, std::memory_order_relaxed);
    }
    apply_pending_topics(connection);
  }
}

void WsReader::run() {
  const std::string source(config_.feed_name);
  const ErrorContext context{source, "", format_date(s_.date), ""};
  ReconnectBackoff backoff(config_.reconnect);
  std::optional<std::int64_t> gap_start = config_.first_gap_start_ms;
  const char* gap_reason = config_.first_gap_reason.c_str();
  bool limit_reported = false;
  while (!stop_.load()) {
    bool rate_limited = false;
    bool subscribed = false;
    const auto connected_at = std::chrono::steady_clock::now();
    try {
      WsConnection connection(parse_ws_url(config_.url), config_.client);
      {
        std::lock_guard lock(mutex_);
        connection_ = &connection;
      }
      struct Detach {
        WsReader* r;
        ~Detach() {
          std::lock_guard lock(r->mutex_);
          r->connection_ = nullptr;
        }
      } detach{this};
      if (stop_.load()) break;
      connection.connect(config_.api_key);
      std::vector<std::string> topics;
      {
        std::lock_guard lock(mutex_);
        config_.topics.insert(config_.topics.end(), pending_topics_.begin(), pending_topics_.end());
        pending_topics_.clear();
        topics = config_.topics;
      }
      const WsSubscribeResult result = connection.subscribe(topics);
      if (!result.ok())
        s_.errors.record(ErrorCategory::network,
                         fmt::format("{} of {} topic(s) not confirmed by the server{}{}",
                                     result.unconfirmed.size() + result.errors.size(), topics.size(),
                                     result.errors.empty() ? "" : ": ",
                                     result.errors.empty() ? "" : result.errors.front()),
                         ErrorContext{source, "", format_date(s_.date), connection.url().text()});
      subscribed = true;
      limit_reported = false;
      connects_.fetch_add(1);
      s_.counters.set_connection(ConnectionStatus::connected);
      read_connection(connection, gap_start, gap_reason);
      if (!stop_.load())
        exec_log().warn("{} stream shard {}: server closed the connection ({} {})", source, config_.shard,
                        connection.close_info().code, connection.close_info().reason);
    } catch (const SoiError& e) {
      if (e.category() == ErrorCategory::auth) {
        {
          std::lock_guard lock(mutex_);
          fatal_ = e.what();
        }
        fatal_auth_.store(true);
        s_.errors.record(e);
        break;
      }
      rate_limited = e.category() == ErrorCategory::rate_limit;
      if (rate_limited && !limit_reported) {
        s_.errors.record(e);  // max_connections: said once per streak, loudly
        limit_reported = true;
      }
      if (!stop_.load()) exec_log().warn("{} stream shard {}: {}", source, config_.shard, e.what());
    } catch (const std::exception& e) {
      // Not ours (a library's): recorded, then reconnect rather than take the process down.
      s_.errors.record(ErrorCategory::parse, std::string("stream reader: ") + e.what(), context);
    }
    // The server said max_connections before closing: wait like a refused connect.
    if (limited_.exchange(false)) rate_limited = true;
    if (stop_.load()) break;
    // The next connection repairs from the last second this one had (that
    // second may have been cut mid-frame), unless an earlier gap is still open.
    const std::int64_t last = last_ts_.load();
    if (!gap_start && last != INT64_MIN) gap_start = last;
    gap_reason = "reconnect";
    if (subscribed)
      backoff.on_disconnected(std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - connected_at));
    s_.counters.on_reconnect();
    const auto delay = backoff.next_delay(rate_limited);
    if (!delay) {
      std::lock_guard lock(mutex_);
      fatal_ = fmt::format("{} stream gave up after {} reconnect attempts", source, backoff.attempts());
      s_.errors.record(ErrorCategory::network, fatal_, context);
      break;
    }
    sleep_interruptibly(*delay);
  }
  // Stopped (the close, or a stop request) while a gap was still open: nothing
  // arrived to end it, so it runs to the close (REST has no bars past "now").
  const std::int64_t last = last_ts_.load();
  if (!gap_start && repair_to_close_.load() && last != INT64_MIN && last + 1000 < config_.session_close_ms) {
    gap_start = last;
    gap_reason = "close";
  }
  if (gap_start && !fatal_auth_.load() && config_.session_close_ms > *gap_start)
    submit_gap(*gap_start, config_.session_close_ms, gap_reason);
  s_.counters.set_connection(ConnectionStatus::closed);
}

}  // namespace soi
