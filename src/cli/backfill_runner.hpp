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

// Backfills the request's feeds one after another in registry order (a feed
// after the feeds it depends on); an auth failure stops before the next feed. Fills report.feeds and report.trading_days (not
// seconds/manifest).
BackfillReport run_backfill_feeds(RunContext& run, SinkSet& sinks, const BackfillFeedsRequest& request);

}  // namespace soi::cli
