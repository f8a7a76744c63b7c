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

// Backfills `days` for the feeds `source` selects (spy, vix, options, news, or
// all: every feed enabled in sources.yaml), one feed after another; an auth
// failure stops before the next feed. News covers the calendar range
// [news_range.front(), news_range.back()] (empty: no news). quiet: no progress
// display. Fills report.feeds and report.trading_days (not seconds/manifest).
BackfillReport run_backfill_feeds(RunContext& run, SinkSet& sinks, const std::string& source,
                                  const std::vector<Date>& days, const std::vector<Date>& news_range, bool quiet);

}  // namespace soi::cli
