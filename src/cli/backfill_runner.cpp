#include "cli/backfill_runner.hpp"

#include <utility>

#include "monitoring/progress.hpp"
#include "orchestrator/backfill_job.hpp"
#include "orchestrator/news_backfill.hpp"
#include "orchestrator/options_backfill.hpp"
#include "orchestrator/superseded_days.hpp"
#include "sinks/parquet/bar_partition_reader.hpp"

namespace soi::cli {
namespace {

// Every day a bar feed's backfill replaced: a stream's log may still hold
// older records of it, which its next replay must not put back over REST's.
// started_ms: when the feed's backfill began (not the run's start: `soi run`
// prepares its run before the session it streams).
void mark_superseded(RunContext& run, const FeedSpec& feed, const BackfillSummary& summary, std::int64_t started_ms) {
  if (!feed.streamed()) return;
  try {
    SupersededDays marks(superseded_days_file(run.config.settings.data_dir));
    for (const DayOutcome& day : summary.days)
      if (day.ok) marks.mark(summary.feed, day.date, started_ms);
  } catch (const SoiError& e) {
    run.errors.record(e);  // the data is committed; only a later stream replay could override it
  }
}

}  // namespace

BackfillReport run_backfill_feeds(RunContext& run, SinkSet& sinks, const BackfillFeedsRequest& request) {
  const std::vector<Date>& days = request.days;
  const std::vector<Date>& news_range = request.news_range;
  const bool quiet = request.quiet;
  BackfillReport report;
  report.trading_days = days.size();
  const Config& config = run.config;
  auto services = [&](RestClient& client) {
    return BackfillServices{config, client, run.calendar, sinks, *run.manifest,
                            *run.quarantine, *run.drift, run.errors, run.run};
  };
  auto progress = [&](const std::string& feed, std::size_t steps) {
    return ProgressReporter("backfill " + feed, steps, quiet ? "never" : config.settings.progress,
                            config.settings.progress_interval_seconds);
  };
  // Feeds run one after another; an auth failure stops the run (every other
  // feed would fail the same way).
  auto fatal = [&report] { return !report.feeds.empty() && report.feeds.back().stopped_on_auth; };
  for (const FeedSpec* feed : run.feeds.selected(request.sources, config)) {
    if (fatal()) break;
    const std::string base_url = feed->rest_base_url(config);
    const std::int64_t started = now_utc_ms();
    switch (feed->dataset) {
      case DatasetKind::bars: {
        BackfillJob job(services(client_for(run, base_url)),
                        [&run, base_url]() -> RestClient& { return new_worker_client(run, base_url); });
        ProgressReporter reporter = progress(feed->name, days.size());
        report.feeds.push_back(job.run(bar_feed_spec(*feed, config), days, &reporter));
        break;
      }
      case DatasetKind::option_bars: {
        OptionsBackfillJob job(services(client_for(run, base_url)),
                               [&run, base_url]() -> RestClient& { return new_worker_client(run, base_url); },
                               feed->sql_table);
        if (request.keep_tracked_contracts && feed->companion) {
          std::shared_ptr<PartitionStore> store = run.store;
          job.keep_tracked_contracts([store](Date d) { return read_contracts_partition(*store, d); });
        }
        ProgressReporter reporter = progress(feed->name, days.size());
        report.feeds.push_back(job.run(days, &reporter));
        break;
      }
      case DatasetKind::news: {
        if (news_range.empty()) continue;
        NewsBackfillJob job(services(client_for(run, base_url)));
        const auto span_days = (to_sys(news_range.back()) - to_sys(news_range.front())).count() + 1;
        ProgressReporter reporter = progress(feed->name, static_cast<std::size_t>(span_days));
        report.feeds.push_back(job.run(news_range, &reporter));
        break;
      }
      case DatasetKind::options_contracts:  // written by the options feed, never a feed of its own
        continue;
    }
    mark_superseded(run, *feed, report.feeds.back(), started);
  }
  return report;
}

}  // namespace soi::cli
