// The stream session's options universe: discovered at the open, re-centred
// on demand, and its contracts sharded over the options connections.
#include "orchestrator/stream_session_impl.hpp"

namespace soi {

using namespace stream_session_detail;

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
    topics.push_back(ws_topic(options_spec().ws_topic_prefix, c.ticker));
  }
  std::size_t next = 0;
  for (auto& r : readers) {
    if (r->config().feed != *options_feed || next == topics.size()) continue;
    const std::size_t room = per_connection > r->topic_count() ? per_connection - r->topic_count() : 0;
    const std::size_t take = std::min(room, topics.size() - next);
    if (take) r->add_topics({topics.begin() + next, topics.begin() + next + take});
    next += take;
  }
  while (next < topics.size() && options_connections < max_connections) {
    const std::size_t take = std::min(per_connection, topics.size() - next);
    start_reader(reader_config(WsMarket::options, *options_feed, options_connections, urls.options,
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
        ErrorContext{options_spec().name, cfg.sources.options.underlying, format_date(session.date), ""});
}

void StreamSession::Impl::maybe_discover_universe() {
  if (universe || !options_feed || Clock::now() < next_discovery) return;
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
  const ErrorContext context{options_spec().name, cfg.sources.options.underlying, format_date(session.date), ""};
  try {
    DayOutcome out;
    OptionsUniverse u = options_job->discover_universe(session.date, centre, out);
    DayOutcome commit_out;
    job.commit(ContractsPartition{session.date, u}, contracts_dataset(), context, commit_out);
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
  const ErrorContext context{options_spec().name, cfg.sources.options.underlying, format_date(session.date), ""};
  try {
    DayOutcome out;
    OptionsUniverse fresh = options_job->discover_universe(
        session.date, OptionsBackfillJob::Centre{stocks->last_price(), OpenSource::recenter}, out);
    universe->open = fresh.open;
    universe->open_source = fresh.open_source;
    universe->strike_low = fresh.strike_low;
    universe->strike_high = fresh.strike_high;
    const std::vector<OptionContract> added = add_contracts(*universe, std::move(fresh.contracts));
    DayOutcome commit_out;
    job.commit(ContractsPartition{session.date, *universe}, contracts_dataset(), context, commit_out);
    exec_log().info("stream {}: universe re-centred on {:.2f}: {} new contract(s), {} tracked",
                    format_date(session.date), fresh.open, added.size(), universe->contracts.size());
    track_contracts(added);
    // The added contracts traded before the re-centre too: their day so far comes over REST.
    GapRequest morning{*options_feed, options_spec().ws_market, {}, session.open_ms,
                       std::min(market_now(), session.close_ms), "recenter"};
    for (const auto& c : added) morning.tickers.push_back(c.ticker);
    gaps->submit(std::move(morning));
  } catch (const SoiError& e) {
    s.backfill.errors.record(e);
  }
}

}  // namespace soi
