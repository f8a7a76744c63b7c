// Historical backfill of options near the money. For each trading day:
//  1. the underlying's opening price: the official open (/v1/open-close), or,
//     when that is unavailable, the first regular-session second bar;
//  2. the contracts listed as of the day within +/-strike_range_pct of the open
//     on the selected expirations (/v3/reference/options/contracts, all pages),
//     stored as the day's universe (the feed's companion, options_contracts)
//     before any bar;
//  3. every contract's per-second bars over the session, `max_in_flight`
//     contracts at a time (one worker thread and one RestClient each),
//     stored as ONE partition of the feed (options).
// Up to sources.max_days_in_flight days go through steps 1-3's downloads at
// once (OrderedDayPipeline), each day with its own max_in_flight clients, all
// under the host's one rate limiter; the committing thread (run()'s caller)
// stores each day's universe, then its bars, in date order. With
// keep_tracked_contracts (which reads committed partitions) days go one at a time.
// The feed and its companion are the registry's option_bars feed
// (default_feed_registry): their names label the partitions, logs and summary.
// A failed day is recorded and the run goes on; an auth failure stops the run.
//
// Threads: run() and discover_universe() from one thread at a time. Day
// workers touch only their slot's clients and parsers, the day's DeferredDrift
// (observed by the committer, in date order) and the thread-safe
// QuarantineWriter, ErrorSummary and loggers.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

#include "data_sources/contracts_parser.hpp"
#include "orchestrator/backfill_job.hpp"
#include "processing/deferred_drift.hpp"
#include "processing/options_universe.hpp"

namespace soi {

class OptionsBackfillJob {
 public:
  // worker_client() returns a RestClient for the options host owned by the run (one per
  // concurrent worker: at most max_in_flight per day in flight, plus max_in_flight for the
  // committer's own slot; called from the coordinating thread only). A worker client without a rate limiter gets the main client's limiter when
  // both talk to the same base URL (one budget per host).
  // bars_sql_table: the options feed's SQL table (its FeedSpec's sql_table).
  OptionsBackfillJob(BackfillServices services, std::function<RestClient&()> worker_client,
                     std::string bars_sql_table);

  // For each trading day: resolve the open, discover and store the universe (feed
  // options_contracts), fetch and store the bars (feed options). summary.feed: the feed's name;
  // DayOutcome.rows = option bar rows; a failed day is recorded and the run goes on; an
  // auth failure stops the run (days_skipped), like BackfillJob::run.
  BackfillSummary run(const std::vector<Date>& days, ProgressReporter* progress);

  // Day d's universe centred on `open` (the stream's `op`, or a re-centre price), or
  // on the resolved official open when nullopt. Rejected contracts go to the
  // quarantine (counted in out.rejects). Throws SoiError like a failed day.
  struct Centre {
    double price = 0;
    OpenSource source = OpenSource::ws_op;
  };
  OptionsUniverse discover_universe(Date d, std::optional<Centre> centre, DayOutcome& out);

  // Contracts the day already tracks (`tracked(d)`, e.g. the universe a stream
  // re-centred and committed): kept in the backfilled universe beside the ones
  // around the open, so that their streamed day is corrected from REST rather
  // than dropped when the day's partitions are replaced. Unset: the universe
  // is the band around the open alone.
  using TrackedContracts = std::function<std::vector<OptionContract>(Date)>;
  void keep_tracked_contracts(TrackedContracts tracked) { tracked_ = std::move(tracked); }

  // The last run's universes (for reports and tests).
  const std::vector<OptionsUniverse>& universes() const { return universes_; }

 private:
  struct Open {
    double price = 0;
    OpenSource source = OpenSource::open_close;
  };
  // What one fetch slot (one thread at a time) parses with.
  struct SlotParsers {
    ContractsParser contracts;
    AggsParser first_bar{AggsShape::equity};
  };
  // Worker half of a day: open, universe, every contract's bars; returns the commit half.
  BackfillJob::DayCommit fetch_day(Date d, std::size_t slot, SlotParsers& parsers);
  Open resolve_open(Date d, const BarWindow& session, RestClient& client, AggsParser& first_bar_parser);
  // deferred: where drift goes for the committer to observe (nullptr: straight to the tracker).
  std::vector<OptionContract> list_contracts(Date d, const StrikeBand& band, DayOutcome& out, RestClient& client,
                                             ContractsParser& parser, DeferredDrift* deferred);
  // Fetches every contract's bars with the slot's worker clients; returns the non-empty BarDays, by ticker.
  std::vector<BarDay> fetch_bars(const OptionsUniverse& universe, const BarWindow& session, DayOutcome& out,
                                 std::size_t slot, DeferredDrift& drift_seen);
  // Contract workers of one day (max_in_flight, or 1 without worker clients).
  std::size_t contract_workers() const;
  // Client of contract worker w of fetch slot `slot` (w 0 also asks for the open and the contracts).
  RestClient& worker(std::size_t slot, std::size_t w);
  // Adds the day's tracked contracts missing from `universe` (kept sorted by
  // ticker). Throws SoiError when they cannot be read: the day then fails.
  void add_tracked(OptionsUniverse& universe, const ErrorContext& context);

  BackfillServices s_;
  BackfillJob job_;  // session windows and the shared partition commit
  bool has_workers_;  // a worker-client factory was given
  // Index 0: the main client (discover_universe); contract worker w of fetch slot s:
  // index s * contract_workers() + w + 1.
  WorkerClients clients_;
  std::string bars_sql_table_;
  std::vector<OptionsUniverse> universes_;
  TrackedContracts tracked_;
  SlotParsers stream_parsers_;  // discover_universe's (the main client's thread)
};

}  // namespace soi
