#include "orchestrator/backfill_job.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "monitoring/logging.hpp"
#include "orchestrator/ordered_day_pipeline.hpp"
#include "processing/dedup.hpp"
#include "processing/deferred_drift.hpp"

namespace soi {

// As many as the Parquet sink has encoders (at most 4): more turns would only
// wait for one, and each seat's parser keeps a page's worth of buffers.
std::size_t cpu_turn_count() { return std::clamp(std::thread::hardware_concurrency(), 1u, 4u); }

BackfillJob::BackfillJob(BackfillServices services, std::function<RestClient&()> worker_client)
    : s_(services), clients_(services.client, std::move(worker_client)) {
  if (!s_.cpu_turns) {
    own_turns_ = std::make_unique<OrderedTurns>(cpu_turn_count());
    s_.cpu_turns = own_turns_.get();
  }
}

std::uint64_t BackfillSummary::rows() const {
  std::uint64_t n = 0;
  for (const auto& d : days) n += d.rows;
  return n;
}

std::uint64_t BackfillSummary::rejects() const {
  std::uint64_t n = 0;
  for (const auto& d : days) n += d.rejects;
  return n;
}

std::uint64_t BackfillSummary::failed_days() const {
  return static_cast<std::uint64_t>(std::count_if(days.begin(), days.end(), [](const auto& d) { return !d.ok; })) +
         days_skipped;
}

BarWindow configured_session_window(const Config& config, const MarketCalendar& calendar, Date d) {
  const SessionHours hours = calendar.session(d);
  int start = parse_hh_mm(config.settings.session_start).value_or(kRegularOpenMinute);
  int end = parse_hh_mm(config.settings.session_end).value_or(kRegularCloseMinute);
  // An exchange early close (or late open) narrows the configured session.
  if (hours.close_minute < kRegularCloseMinute) end = std::min(end, hours.close_minute);
  if (hours.open_minute > kRegularOpenMinute) start = std::max(start, hours.open_minute);
  return BarWindow{ny_wall_to_utc_ms(d, start), ny_wall_to_utc_ms(d, end), 1000};
}

BarFeedSpec bar_feed_spec(const FeedSpec& feed, const Config& config) {
  const std::vector<std::string> tickers = feed.rest_tickers(config);
  if (feed.dataset != DatasetKind::bars || tickers.size() != 1)
    throw SoiError(ErrorCategory::config, "feed '" + feed.name + "' is not a bar feed of one ticker");
  return BarFeedSpec{feed.name, tickers.front(),
                     feed.shape == ResponseShape::index_aggs ? AggsShape::index : AggsShape::equity,
                     feed.page_limit(config), feed.adjusted && feed.adjusted(config), feed.sql_table};
}

BackfillSummary BackfillJob::run(const BarFeedSpec& feed, const std::vector<Date>& days, ProgressReporter* progress) {
  const std::size_t in_flight =
      clients_.usable(static_cast<std::size_t>(std::max(1, s_.config.sources.max_days_in_flight)));
  const std::size_t slots = fetch_slots(in_flight, days.size());
  clients_.prepare(slots);  // here: the factory is the committer's to call
  // One parser per seat of the CPU turns: the days in flight parse in turns.
  std::vector<AggsParser> parsers;
  parsers.reserve(s_.cpu_turns->permits());
  for (std::size_t seat = 0; seat < s_.cpu_turns->permits(); ++seat) parsers.emplace_back(feed.shape);
  const SeatedAggsParsers seated{*s_.cpu_turns, parsers};
  exec_log().info("backfill {} ({}): {} trading day(s), up to {} in flight, run {}", feed.feed, feed.ticker,
                  days.size(), in_flight, s_.run.run_id);
  return run_days(feed.feed, days, progress, in_flight, [&](Date d, std::size_t slot) {
    return fetch_day(feed, d, client(slot), seated);
  });
}

std::size_t BackfillJob::fetch_slots(std::size_t max_in_flight, std::size_t days) {
  return OrderedDayPipeline<DayCommit>::slots_for(max_in_flight, days);
}

BackfillSummary BackfillJob::run_days(std::string_view feed, const std::vector<Date>& days,
                                      ProgressReporter* progress, std::size_t max_in_flight, const DayFetch& fetch) {
  using Pipeline = OrderedDayPipeline<DayCommit>;
  BackfillSummary summary;
  summary.feed = std::string(feed);
  Pipeline pipeline(max_in_flight);
  std::uint64_t rows = 0;
  pipeline.run(
      days.size(), [&](std::size_t i, std::size_t slot) { return fetch(days[i], slot); },
      [&](std::size_t i, Pipeline::Day day) {
        if (s_.auth_stop && s_.auth_stop->load()) {  // another feed of the run hit an auth failure
          summary.stopped_on_auth = true;
          return false;
        }
        // Sinks still opening in the background are waited for here; when they
        // cannot be opened no day can be stored, so that stops the run.
        s_.sinks.wait_open();
        DayOutcome outcome;
        try {
          if (day.error) std::rethrow_exception(day.error);
          outcome = (*day.value)();
        } catch (const SoiError& e) {
          s_.errors.record(e);
          outcome.date = days[i];
          outcome.error = e.what();
          summary.days.push_back(outcome);
          if (e.category() == ErrorCategory::auth) {
            summary.stopped_on_auth = true;
            if (s_.auth_stop) s_.auth_stop->store(true);
            exec_log().error("stopping the run: {}", e.what());
            return false;
          }
          if (progress) progress->update(i + 1, rows);
          return true;
        }
        rows += outcome.rows;
        summary.days.push_back(outcome);
        if (progress) progress->update(i + 1, rows);
        return true;
      });
  if (summary.stopped_on_auth) summary.days_skipped = days.size() - summary.days.size();
  if (progress) progress->finish();
  return summary;
}

BackfillSummary BackfillJob::run_days(std::string_view feed, const std::vector<Date>& days,
                                      ProgressReporter* progress, const std::function<DayOutcome(Date)>& day) {
  return run_days(feed, days, progress, 1, [&day](Date d, std::size_t) { return DayCommit([&day, d] { return day(d); }); });
}

BackfillJob::DayCommit BackfillJob::fetch_day(const BarFeedSpec& feed, Date d, RestClient& client,
                                              const SeatedAggsParsers& parsers) {
  struct Fetched {
    DayOutcome out;
    BarDay day;
    ErrorContext context;
    DeferredDrift drift;  // observed at commit: the tracker sees days in date order
    SinkSet::Prepared prepared;  // the day's Parquet file, encoded here rather than on the committer
  };
  auto f = std::make_shared<Fetched>();
  DayOutcome& out = f->out;
  out.date = d;
  const std::string date_text = format_date(d);
  const auto fetch_start = std::chrono::steady_clock::now();

  AggregatesRequest request;
  request.ticker = feed.ticker;
  request.window = session_window(d);
  request.page_limit = feed.page_limit;
  request.adjusted = feed.adjusted;
  request.shape = feed.shape;
  f->context = ErrorContext{feed.feed, feed.ticker, date_text, ""};
  const ErrorContext& context = f->context;

  // Days in flight take turns at the CPU in date order, the order they are committed in.
  const std::int64_t turn_key = date::sys_days(d).time_since_epoch().count();
  AggregatesPageStream stream(client, parsers, turn_key, request, context, s_.config.retry.max_attempts);
  BarDay& day = f->day;
  day.feed = feed.feed;
  day.ticker = feed.ticker;
  day.date = d;
  day.origin = Origin::rest;
  AggsPage page;
  while (stream.next(page)) {
    // A day is usually one page: take its bars rather than copy them.
    if (day.bars.empty()) day.bars.swap(page.bars);
    else day.bars.insert(day.bars.end(), page.bars.begin(), page.bars.end());
    // QuarantineWriter and ErrorSummary are thread-safe.
    for (const auto& reject : page.rejects) {
      s_.quarantine.add(feed.feed, d, feed.ticker, reject.reason, reject.raw_json, context.url);
      ++out.rejects;
    }
    for (const auto& drift : page.drift) f->drift.add(feed.feed, d, drift.field, drift.kind, drift.example);
  }
  out.pages = stream.pages();
  // Sinks still opening are waited for outside a turn: no day holds one while
  // it waits for something no turn can speed up.
  s_.sinks.wait_open();
  // Held until the day's fetch half returns: de-duplication and encoding.
  const OrderedTurns::Turn turn = s_.cpu_turns->take(turn_key);
  out.duplicates = dedup_keep_last(day.bars);
  out.fetch_seconds = seconds_since(fetch_start);
  if (out.rejects)
    s_.errors.record(ErrorCategory::validation,
                     std::to_string(out.rejects) + " record(s) failed validation and were quarantined", context);
  const auto partition = [&feed, f, session = session_window(d)] {
    return BarPartition{feed.feed, f->day.date, std::span<const BarDay>(&f->day, 1), session.from_ms, session.to_ms,
                        feed.sql_table};
  };
  // The days in flight encode their files at once, on their own threads; the
  // committer then only puts them in place, in date order. Not once an auth
  // failure stopped the run: the day will be dropped.
  if (!(s_.auth_stop && s_.auth_stop->load())) f->prepared = s_.sinks.prepare(to_partition(partition()), s_.run);

  // Committer thread, in date order.
  return [this, &feed, f, partition] {
    DayOutcome& out = f->out;
    f->drift.replay(s_.drift);
    out.ok = commit(partition(), feed.feed, f->context, out, std::move(f->prepared));
    exec_log().info("{} {}: {} rows, {} pages, {} quarantined, {} duplicates replaced -> {}", feed.feed,
                    f->context.date, out.rows, out.pages, out.rejects, out.duplicates, out.location);
    return out;
  };
}

template <typename Partition>
bool BackfillJob::commit(const Partition& partition, std::string_view feed, const ErrorContext& context,
                         DayOutcome& out, SinkSet::Prepared prepared) {
  std::unique_lock<std::mutex> feeds_lock;
  if (s_.commit_lock) feeds_lock = std::unique_lock(*s_.commit_lock);  // another feed may be writing
  const auto commit_start = std::chrono::steady_clock::now();
  SinkSetResult result = s_.sinks.write(to_partition(partition), s_.run, std::move(prepared));
  out.commit_seconds = seconds_since(commit_start);
  if (feeds_lock) feeds_lock.unlock();  // the manifest and error summary are thread-safe
  for (const PartitionWriteResult& written : result.written) {
    s_.manifest.add(written);
    if (written.sink == s_.sinks.at(0).name()) {  // the first sink (Parquet) is the record of the day
      out.rows = written.rows;
      out.location = written.location;
    }
    perf_log().info("commit sink={} feed={} date={} rows={} bytes={} commit_s={:.3f} fetch_s={:.3f} pages={}",
                    written.sink, feed, written.date, written.rows, written.bytes, written.seconds, out.fetch_seconds,
                    out.pages);
    if (written.seconds > s_.config.settings.commit_alert_seconds) {
      // An alert, not a failure: the day is stored. It lands in the errors log and the run summary.
      s_.errors.record(ErrorCategory::storage,
                       fmt::format("ALERT slow commit: {} sink took {:.1f} s (threshold commit_alert_seconds={})",
                                   written.sink, written.seconds, s_.config.settings.commit_alert_seconds),
                       context);
    }
  }
  for (std::size_t i = 0; i < result.failures.size(); ++i) {
    const SoiError& failure = result.failures[i];
    s_.errors.record(failure);
    s_.manifest.add_failure(PartitionFailure{result.failed_sinks[i], std::string(feed), context.date,
                                             std::string(to_string(failure.category())), failure.what()});
    if (out.error.empty()) {
      out.error = failure.what();
      out.error_category = std::string(to_string(failure.category()));
    }
  }
  return result.ok();
}

template bool BackfillJob::commit(const BarPartition&, std::string_view, const ErrorContext&, DayOutcome&,
                                  SinkSet::Prepared);
template bool BackfillJob::commit(const ContractsPartition&, std::string_view, const ErrorContext&, DayOutcome&,
                                  SinkSet::Prepared);
template bool BackfillJob::commit(const NewsPartition&, std::string_view, const ErrorContext&, DayOutcome&,
                                  SinkSet::Prepared);

}  // namespace soi
