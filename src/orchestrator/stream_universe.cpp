#include "orchestrator/stream_universe.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "monitoring/logging.hpp"
#include "processing/options_universe.hpp"
#include "utils/time_util.hpp"

namespace soi {

using std::chrono::seconds;

OptionsUniverseTracker::OptionsUniverseTracker(Services services, BarWindow session)
    : s_(std::move(services)),
      session_(session),
      job_(s_.backfill,
           [client = s_.worker_client, url = s_.feeds.options_spec().rest_base_url(s_.backfill.config)]()
               -> RestClient& { return client(url); },
           s_.feeds.options_spec().sql_table) {}

ErrorContext OptionsUniverseTracker::context() const {
  return ErrorContext{s_.feeds.options_spec().name, s_.backfill.config.sources.options.underlying,
                      format_date(s_.day.date()), ""};
}

// Subscribes the contracts (not yet tracked); what does not fit under the
// account's connection limit is reported, never dropped silently.
void OptionsUniverseTracker::track(const std::vector<OptionContract>& contracts) {
  std::vector<std::string> topics;
  topics.reserve(contracts.size());
  for (const auto& c : contracts) {
    s_.day.set_contract(c);
    topics.push_back(ws_topic(s_.feeds.options_spec().ws_topic_prefix, c.ticker));
  }
  const std::size_t left_out = s_.connections.add_option_topics(topics);
  if (left_out == 0) return;
  const auto& ws = s_.backfill.config.sources.websocket;
  const auto per_connection = static_cast<std::size_t>(ws.max_subscriptions_per_connection);
  s_.backfill.errors.record(
      ErrorCategory::rate_limit,
      fmt::format("{} option contract(s) are not streamed: the universe needs {} connection(s) of {} subscriptions "
                  "but websocket.max_connections_per_market allows {}; raise it if your plan allows more "
                  "connections (the backfill after the close still fetches them)",
                  left_out, (topics.size() + per_connection - 1) / per_connection, per_connection,
                  ws.max_connections_per_market),
      context());
}

void OptionsUniverseTracker::maybe_discover(std::int64_t market_now_ms) {
  if (universe_ || Clock::now() < next_discovery_ || market_now_ms < session_.from_ms) return;
  if (committed_) {
    // A restart the same day keeps the day's universe: no new centre, nothing to wait for.
    universe_ = std::move(committed_);
    committed_.reset();
    track(universe_->contracts);
    return;
  }
  if (open_seen_at_ == Clock::time_point{}) open_seen_at_ = Clock::now();
  std::optional<OptionsBackfillJob::Centre> centre;
  const WsReader* underlying = s_.connections.underlying();
  if (underlying && underlying->day_open() > 0)
    centre = OptionsBackfillJob::Centre{underlying->day_open(), OpenSource::ws_op};
  else if (Clock::now() - open_seen_at_ < seconds(s_.backfill.config.settings.stream.open_wait_seconds))
    return;
  try {
    DayOutcome out;
    OptionsUniverse u = job_.discover_universe(s_.day.date(), centre, out);
    s_.committer.commit_universe(s_.day.date(), u);
    exec_log().info("stream {}: options universe centred on {:.2f} ({}): {} contracts in [{:.2f}, {:.2f}]",
                    format_date(s_.day.date()), u.open, to_string(u.open_source), u.contracts.size(), u.strike_low,
                    u.strike_high);
    universe_ = std::move(u);
    track(universe_->contracts);
  } catch (const SoiError& e) {
    s_.backfill.errors.record(e);
    if (e.category() == ErrorCategory::auth) fatal_ = e.what();
    next_discovery_ = Clock::now() + seconds(std::max(5, s_.backfill.config.settings.stream.open_wait_seconds));
  }
}

void OptionsUniverseTracker::recenter() {
  const WsReader* underlying = s_.connections.underlying();
  if (!universe_ || !underlying || underlying->last_price() <= 0) {
    exec_log().warn("stream: re-centre ignored (no options universe or no {} price yet)",
                    s_.backfill.config.sources.spy.ticker);
    return;
  }
  try {
    DayOutcome out;
    OptionsUniverse fresh = job_.discover_universe(
        s_.day.date(), OptionsBackfillJob::Centre{underlying->last_price(), OpenSource::recenter}, out);
    universe_->open = fresh.open;
    universe_->open_source = fresh.open_source;
    universe_->strike_low = fresh.strike_low;
    universe_->strike_high = fresh.strike_high;
    const std::vector<OptionContract> added = add_contracts(*universe_, std::move(fresh.contracts));
    s_.committer.commit_universe(s_.day.date(), *universe_);
    exec_log().info("stream {}: universe re-centred on {:.2f}: {} new contract(s), {} tracked",
                    format_date(s_.day.date()), fresh.open, added.size(), universe_->contracts.size());
    track(added);
    // The added contracts traded before the re-centre too: their day so far comes over REST.
    const StreamFeed options = *s_.feeds.options();
    // Up to now, after the discovery and the subscription: what the new
    // connections did not see yet is all in the window.
    GapRequest morning{options, s_.feeds.spec(options).ws_market, {}, session_.from_ms,
                       std::min(s_.market_now(), session_.to_ms), "recenter"};
    for (const auto& c : added) morning.tickers.push_back(c.ticker);
    s_.gaps.submit(std::move(morning));
  } catch (const SoiError& e) {
    s_.backfill.errors.record(e);
  }
}

}  // namespace soi
