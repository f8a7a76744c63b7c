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

bool selected(const std::string& source, const std::string& feed, bool enabled) {
  return source == feed || (source == "all" && enabled);
}

// The plain bar feeds a --source value selects (all: every enabled one).
std::vector<std::pair<BarFeedSpec, std::string>> selected_bar_feeds(const std::string& source, const Config& c) {
  std::vector<std::pair<BarFeedSpec, std::string>> feeds;
  if (selected(source, "spy", c.sources.spy.enabled))
    feeds.push_back({BarFeedSpec{"spy", c.sources.spy.ticker, AggsShape::equity, c.sources.spy.page_limit,
                                 c.sources.spy.adjusted},
                     c.sources.rest_base_url});
  if (selected(source, "vix", c.sources.vix.enabled))
    feeds.push_back({BarFeedSpec{"vix", c.sources.vix.ticker, AggsShape::index, c.sources.vix.page_limit, false},
                     c.sources.vix.base_url});
  return feeds;
}

// Every day a bar feed's backfill replaced: a stream's log may still hold
// older records of it, which its next replay must not put back over REST's.
// started_ms: when the feed's backfill began (not the run's start: `soi run`
// prepares its run before the session it streams).
void mark_superseded(RunContext& run, const BackfillSummary& summary, std::int64_t started_ms) {
  if (summary.feed != "spy" && summary.feed != "vix" && summary.feed != "options") return;
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
  const std::string& source = request.source;
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
  for (const auto& [feed, base_url] : selected_bar_feeds(source, config)) {
    if (fatal()) break;
    BackfillJob job(services(client_for(run, base_url)));
    ProgressReporter reporter = progress(feed.feed, days.size());
    const std::int64_t started = now_utc_ms();
    report.feeds.push_back(job.run(feed, days, &reporter));
    mark_superseded(run, report.feeds.back(), started);
  }
  if (!fatal() && selected(source, "options", config.sources.options.enabled)) {
    const std::string base_url = config.sources.rest_base_url;
    OptionsBackfillJob job(services(client_for(run, base_url)),
                           [&run, base_url]() -> RestClient& { return new_worker_client(run, base_url); });
    if (request.keep_tracked_contracts) {
      std::shared_ptr<PartitionStore> store = run.store;
      job.keep_tracked_contracts([store](Date d) { return read_contracts_partition(*store, d); });
    }
    ProgressReporter reporter = progress("options", days.size());
    const std::int64_t started = now_utc_ms();
    report.feeds.push_back(job.run(days, &reporter));
    mark_superseded(run, report.feeds.back(), started);
  }
  if (!fatal() && selected(source, "news", config.sources.news.enabled) && !news_range.empty()) {
    NewsBackfillJob job(services(client_for(run, config.sources.rest_base_url)));
    const auto span_days = (to_sys(news_range.back()) - to_sys(news_range.front())).count() + 1;
    ProgressReporter reporter = progress("news", static_cast<std::size_t>(span_days));
    report.feeds.push_back(job.run(news_range, &reporter));
  }
  return report;
}

}  // namespace soi::cli
