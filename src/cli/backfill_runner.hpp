// The feed loop of `soi backfill`, shared with `soi run` (which backfills each
// streamed day over REST after the close to correct and complete it).
#pragma once

#include <string>
#include <vector>

#include "cli/backfill_report.hpp"
#include "cli/run_setup.hpp"
#include "sinks/sink_set.hpp"
#include "utils/time_util.hpp"

namespace soi::cli {

struct BackfillFeedsRequest {
  SourceSelection sources;        // --source: named feeds and/or every feed enabled in sources.yaml
  std::vector<Date> days;         // trading days of the bar feeds
  std::vector<Date> news_range;   // news: the calendar range [front, back] (empty: no news)
  bool quiet = false;             // no progress display
  // Options: keep the contracts each day's committed universe already tracks
  // (a stream's re-centred ones) beside the band around the open.
  bool keep_tracked_contracts = false;
};

// Backfills the request's feeds concurrently, one thread per feed (each with
// its own REST clients, all under the host's rate limiter; the backfill needs
// no feed's data before another's: options ask REST for SPY's open). Sink
// writes are serialized by one commit lock; an auth failure in any feed stops
// every feed (their remaining days counted skipped). Fills report.feeds in
// registry order and report.trading_days (not seconds/manifest). Called from
// one thread; an exception of a feed's thread is rethrown here.
BackfillReport run_backfill_feeds(RunContext& run, SinkSet& sinks, const BackfillFeedsRequest& request);

}  // namespace soi::cli
