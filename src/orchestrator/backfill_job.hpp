// Historical backfill of one bar feed over a list of trading days:
// for each day, pull the session's pages, validate (rejects -> quarantine,
// drift -> registry), de-duplicate, and replace the day's partition in the
// sink; time the commit and record it in the manifest. A failed day is
// recorded and the run goes on; an auth failure stops the run (every later
// request would fail the same way).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/feed_registry.hpp"
#include "data_sources/aggregates_fetcher.hpp"
#include "data_sources/rest_client.hpp"
#include "monitoring/error_summary.hpp"
#include "monitoring/progress.hpp"
#include "processing/quarantine.hpp"
#include "processing/schema_drift.hpp"
#include "sinks/manifest.hpp"
#include "sinks/sink_set.hpp"
#include "utils/market_calendar.hpp"

namespace soi {

// What distinguishes one bar feed from another.
struct BarFeedSpec {
  std::string feed;    // folder under data/raw: spy, vix, options
  std::string ticker;  // SPY, I:VIX
  AggsShape shape = AggsShape::equity;
  int page_limit = 50000;
  bool adjusted = true;
  std::string sql_table;  // spy_bars, vix_bars (the FeedSpec's)
};

// A registry bar feed (DatasetKind::bars) as the job runs it, with the
// configuration's ticker, page size and adjustment.
BarFeedSpec bar_feed_spec(const FeedSpec& feed, const Config& config);

struct DayOutcome {
  Date date;
  bool ok = false;
  std::uint64_t rows = 0;
  std::uint64_t rejects = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t pages = 0;
  double fetch_seconds = 0;
  double commit_seconds = 0;
  std::string location;
  std::string error;           // the first failure, e.g. a sink that refused the partition
  std::string error_category;  // its category ("storage", ...)
};

struct BackfillSummary {
  std::string feed;
  std::vector<DayOutcome> days;
  std::uint64_t days_skipped = 0;  // not attempted after a fatal error
  bool stopped_on_auth = false;    // an auth failure stopped the run: later feeds must not start
  std::uint64_t rows() const;
  std::uint64_t rejects() const;
  std::uint64_t failed_days() const;
};

struct BackfillServices {
  const Config& config;
  RestClient& client;
  const MarketCalendar& calendar;
  SinkSet& sinks;
  RunManifest& manifest;
  QuarantineWriter& quarantine;
  SchemaDriftTracker& drift;
  ErrorSummary& errors;
  RunInfo run;
};

// UTC window of the configured session (settings.session_start/end) on day d,
// narrowed by an exchange early close or late open.
BarWindow configured_session_window(const Config& config, const MarketCalendar& calendar, Date d);

class BackfillJob {
 public:
  explicit BackfillJob(BackfillServices services) : s_(services) {}

  BackfillSummary run(const BarFeedSpec& feed, const std::vector<Date>& days, ProgressReporter* progress);

  // The day loop every feed shares: runs `day` for each date, records failures
  // in the error summary and goes on, stops after an auth failure (the rest
  // counted as skipped), reports progress. summary.feed = feed.
  BackfillSummary run_days(std::string_view feed, const std::vector<Date>& days, ProgressReporter* progress,
                           const std::function<DayOutcome(Date)>& day);

  // UTC window of the configured session on day d (early closes honoured).
  BarWindow session_window(Date d) const { return configured_session_window(s_.config, s_.calendar, d); }

  // Writes a partition to every sink: results into the manifest and the perf
  // log, slow commits as alerts, sink failures into the error summary. Returns
  // false when any sink failed (the day then counts as failed: a rerun repairs it).
  // Shared by every feed's job.
  template <typename Partition>
  bool commit(const Partition& partition, std::string_view feed, const ErrorContext& context, DayOutcome& out);

 private:
  DayOutcome backfill_day(const BarFeedSpec& feed, Date d, AggsParser& parser);

  BackfillServices s_;
};

}  // namespace soi
