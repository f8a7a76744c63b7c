#include "orchestrator/news_backfill.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "config/feed_registry.hpp"
#include "data_sources/news_fetcher.hpp"
#include "monitoring/logging.hpp"
#include "processing/news_filter.hpp"

namespace soi {
namespace {

// The registry's news feed: its name labels the partitions, logs and summary.
const std::string& news_feed_name() { return default_feed_registry().first_of(DatasetKind::news).name; }


struct TickerStream {
  std::string ticker;
  std::unique_ptr<NewsPageStream> stream;
  std::int64_t frontier_ms = 0;  // every article published before this instant has arrived (asc order)
  bool done = false;
  bool failed = false;
  std::string error;
};

}  // namespace

NewsBackfillJob::NewsBackfillJob(BackfillServices services) : s_(services) {}

BackfillSummary NewsBackfillJob::run(const std::vector<Date>& days, ProgressReporter* progress) {
  BackfillSummary summary;
  summary.feed = news_feed_name();
  if (days.empty()) {
    if (progress) progress->finish();
    return summary;
  }
  const auto [lo, hi] = std::minmax_element(days.begin(), days.end(),
                                            [](Date a, Date b) { return to_sys(a) < to_sys(b); });
  const Date first = *lo, last = *hi;
  const NewsSourceConfig& config = s_.config.sources.news;
  const std::vector<std::string> tickers = config.tickers.empty() ? std::vector<std::string>{"SPY"} : config.tickers;
  const std::string ticker_list = fmt::format("{}", fmt::join(tickers, ","));
  const std::int64_t from_ms = ny_wall_to_utc_ms(first, 0);
  const std::int64_t to_ms = ny_wall_to_utc_ms(add_days(last, 1), 0);

  NewsDayCollector collector(first, last, NewsRelevanceFilter(config));
  const std::size_t n_days = collector.day_count();
  auto date_at = [&](std::size_t i) { return add_days(first, static_cast<int>(i)); };
  auto end_ms = [&](std::size_t i) { return ny_wall_to_utc_ms(date_at(i + 1), 0); };
  // Index of the date holding instant `ms` (clamped into the range).
  auto index_of = [&](std::int64_t ms) -> std::size_t {
    const Date d = ny_date_of_utc_ms(std::clamp(ms, from_ms, to_ms - 1));
    return static_cast<std::size_t>((to_sys(d) - to_sys(first)).count());
  };

  NewsParser parser;
  std::vector<TickerStream> streams;
  for (const auto& ticker : tickers) {
    NewsRequest request{ticker, from_ms, to_ms, config.page_limit};
    TickerStream ts;
    ts.ticker = ticker;
    ts.stream = std::make_unique<NewsPageStream>(s_.client, parser, request,
                                                 ErrorContext{news_feed_name(), ticker, format_date(first), ""},
                                                 s_.config.retry.max_attempts);
    ts.frontier_ms = from_ms;
    streams.push_back(std::move(ts));
  }
  exec_log().info("backfill news ({}): {} calendar day(s) {}..{}, run {}", ticker_list, n_days, format_date(first),
                  format_date(last), s_.run.run_id);

  BackfillJob committer(s_);
  std::vector<DayOutcome> pending(n_days);
  for (std::size_t i = 0; i < n_days; ++i) pending[i].date = date_at(i);
  std::size_t next = 0;  // the first date not decided yet
  std::uint64_t rows = 0;
  std::uint64_t pages_since = 0;
  auto fetch_start = std::chrono::steady_clock::now();

  auto finish_date = [&](const DayOutcome& out) {
    summary.days.push_back(out);
    if (progress) progress->update(summary.days.size(), rows);
  };

  auto decide_date = [&](std::size_t i) {
    DayOutcome& out = pending[i];
    const std::string date_text = format_date(out.date);
    const ErrorContext context{news_feed_name(), ticker_list, date_text, ""};
    NewsDay day = collector.take(out.date);
    out.duplicates = day.duplicates;
    out.pages = pages_since;
    out.fetch_seconds = seconds_since(fetch_start);
    pages_since = 0;
    fetch_start = std::chrono::steady_clock::now();
    if (out.rejects)
      s_.errors.record(ErrorCategory::validation,
                       std::to_string(out.rejects) + " record(s) failed validation and were quarantined", context);
    const auto failed = std::find_if(streams.begin(), streams.end(), [&](const TickerStream& s) {
      return s.failed && s.frontier_ms < end_ms(i);
    });
    if (failed != streams.end()) {
      // Part of the day's news is missing: keep the previous partition, a rerun repairs the day.
      out.ok = false;
      out.error = failed->error;
      exec_log().warn("news {}: not stored ({} incomplete): {}", date_text, failed->ticker, failed->error);
    } else {
      out.ok = committer.commit(NewsPartition{out.date, day.articles, tickers}, news_feed_name(), context, out);
      rows += out.rows;
      exec_log().info("news {}: {} articles, {} quarantined, {} duplicates replaced, {} irrelevant -> {}", date_text,
                      out.rows, out.rejects, out.duplicates, day.irrelevant, out.ok ? out.location : out.error);
    }
    finish_date(out);
  };

  NewsPage page;
  for (;;) {
    if (s_.auth_stop && s_.auth_stop->load()) {  // another feed of the run hit an auth failure
      summary.days_skipped = n_days - next;
      summary.stopped_on_auth = true;
      break;
    }
    // Decide every date that no running stream can still add articles to.
    while (next < n_days && std::all_of(streams.begin(), streams.end(), [&](const TickerStream& s) {
             return s.done || s.failed || s.frontier_ms >= end_ms(next);
           }))
      decide_date(next++);
    if (next >= n_days) break;

    // Pull from the stream that is furthest behind.
    TickerStream* s = nullptr;
    for (auto& candidate : streams)
      if (!candidate.done && !candidate.failed && (!s || candidate.frontier_ms < s->frontier_ms)) s = &candidate;
    if (!s) break;  // unreachable: all streams finished means every date was decided
    try {
      if (!s->stream->next(page)) {
        s->done = true;
        continue;
      }
      ++pages_since;
      const std::string& url = s->stream->last_url();
      const std::size_t page_index = std::max(next, index_of(s->frontier_ms));
      for (const NewsReject& reject : page.rejects) {
        const std::size_t i =
            std::max(next, reject.published_ms != 0 ? index_of(reject.published_ms) : page_index);
        s_.quarantine.add(news_feed_name(), date_at(i), s->ticker, reject.reason, reject.raw_json, url);
        ++pending[i].rejects;
      }
      for (const FieldDrift& drift : page.drift)
        s_.drift.observe(news_feed_name(), date_at(page_index), drift.field, drift.kind, drift.example);
      std::int64_t frontier = s->frontier_ms;
      for (NewsArticle& article : page.articles) {
        frontier = std::max(frontier, article.published_ms);
        collector.add(std::move(article));
      }
      s->frontier_ms = frontier;
      if (s->stream->done()) s->done = true;
    } catch (const SoiError& e) {
      // The dates this stream had not covered yet fail; the other streams go on.
      s->failed = true;
      ErrorContext context = e.context();
      context.source = news_feed_name();
      context.ticker = s->ticker;
      context.date = format_date(date_at(std::max(next, index_of(s->frontier_ms))));
      const SoiError error(e.category(), e.message(), context, e.http_status());
      s_.errors.record(error);
      s->error = error.what();
      if (e.category() == ErrorCategory::auth) {
        // Every further request would fail the same way: stop the run.
        DayOutcome out = pending[next];
        out.error = error.what();
        finish_date(out);
        summary.days_skipped = n_days - next - 1;
        summary.stopped_on_auth = true;
        if (s_.auth_stop) s_.auth_stop->store(true);  // every other feed of the run stops too
        exec_log().error("stopping the run: {}", error.what());
        break;
      }
    }
  }
  if (progress) progress->finish();
  return summary;
}

}  // namespace soi
