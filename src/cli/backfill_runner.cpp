#include "cli/backfill_runner.hpp"

#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
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
    std::vector<Date> replaced;
    for (const DayOutcome& day : summary.days)
      if (day.ok) replaced.push_back(day.date);
    SupersededDays marks(superseded_days_file(run.config.settings.data_dir));
    marks.mark(summary.feed, replaced, started_ms);
  } catch (const SoiError& e) {
    run.errors.record(e);  // the data is committed; only a later stream replay could override it
  }
}

}  // namespace

BackfillReport run_backfill_feeds(RunContext& run, SinkSet& sinks, const BackfillFeedsRequest& request) {
  const std::vector<Date>& days = request.days;
  const std::vector<Date>& news_range = request.news_range;
  BackfillReport report;
  report.trading_days = days.size();
  const Config& config = run.config;

  std::vector<const FeedSpec*> feeds;
  for (const FeedSpec* feed : run.feeds.selected(request.sources, config)) {
    if (feed->dataset == DatasetKind::options_contracts) continue;  // written by the options feed
    if (feed->dataset == DatasetKind::news && news_range.empty()) continue;
    feeds.push_back(feed);
  }
  // Several feeds run concurrently, one thread each, within the hosts' one rate
  // limit. The SinkSet's sinks are written by one thread at a time (one commit
  // lock), and an auth failure in any feed stops them all.
  const bool concurrent = feeds.size() > 1;
  std::mutex commit_lock;
  std::atomic<bool> auth_stop{false};
  OrderedTurns cpu_turns(cpu_turn_count());
  // Progress bars of concurrent feeds would overwrite one another on the terminal: plain lines then.
  const int terminal = concurrent ? 0 : -1;

  auto run_feed = [&](const FeedSpec& feed, bool first) -> BackfillSummary {
    const std::string base_url = feed.rest_base_url(config);
    // A feed of its own thread needs a main client of its own (a client is one thread's).
    RestClient& client = first ? client_for(run, base_url) : new_worker_client(run, base_url);
    BackfillServices services{config,         client,     run.calendar, sinks, *run.manifest, *run.quarantine,
                              *run.drift,     run.errors, run.run,      concurrent ? &commit_lock : nullptr,
                              concurrent ? &auth_stop : nullptr, &cpu_turns};
    auto worker_client = [&run, base_url]() -> RestClient& { return new_worker_client(run, base_url); };
    auto progress = [&](std::size_t steps) {
      return ProgressReporter("backfill " + feed.name, steps, request.quiet ? "never" : config.settings.progress,
                              config.settings.progress_interval_seconds, terminal);
    };
    switch (feed.dataset) {
      case DatasetKind::bars: {
        BackfillJob job(services, worker_client);
        ProgressReporter reporter = progress(days.size());
        return job.run(bar_feed_spec(feed, config), days, &reporter);
      }
      case DatasetKind::option_bars: {
        OptionsBackfillJob job(services, worker_client, feed.sql_table);
        if (request.keep_tracked_contracts && feed.companion) {
          std::shared_ptr<PartitionStore> store = run.store;
          std::mutex* lock = concurrent ? &commit_lock : nullptr;
          // Read under the commit lock: another feed may be writing to the store.
          job.keep_tracked_contracts([store, lock](Date d) {
            std::unique_lock<std::mutex> held;
            if (lock) held = std::unique_lock(*lock);
            return read_contracts_partition(*store, d);
          });
        }
        ProgressReporter reporter = progress(days.size());
        return job.run(days, &reporter);
      }
      case DatasetKind::news: {
        NewsBackfillJob job(services);
        const auto span_days = (to_sys(news_range.back()) - to_sys(news_range.front())).count() + 1;
        ProgressReporter reporter = progress(static_cast<std::size_t>(span_days));
        return job.run(news_range, &reporter);
      }
      case DatasetKind::options_contracts:
        break;
    }
    throw SoiError(ErrorCategory::config, "feed '" + feed.name + "' cannot be backfilled on its own");
  };

  const std::int64_t started = now_utc_ms();
  std::vector<std::optional<BackfillSummary>> summaries(feeds.size());
  std::vector<std::exception_ptr> errors(feeds.size());
  auto run_one = [&](std::size_t i) {
    try {
      summaries[i] = run_feed(*feeds[i], i == 0);
    } catch (...) {
      errors[i] = std::current_exception();  // rethrown on the calling thread below
    }
  };
  if (concurrent) {
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < feeds.size(); ++i) {
      try {
        threads.emplace_back(run_one, i);
      } catch (const std::system_error&) {
        run_one(i);  // no thread to spare: run it here
      }
    }
    run_one(0);
    for (auto& t : threads) t.join();
  } else if (!feeds.empty()) {
    run_one(0);
  }
  for (const std::exception_ptr& error : errors)
    if (error) std::rethrow_exception(error);
  for (std::size_t i = 0; i < feeds.size(); ++i) {
    report.feeds.push_back(std::move(*summaries[i]));
    mark_superseded(run, *feeds[i], report.feeds.back(), started);
  }
  return report;
}

}  // namespace soi::cli
