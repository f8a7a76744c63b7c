// soi backfill: historical download over REST into date-partitioned Parquet.
#include <cstdio>
#include <utility>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/run_setup.hpp"
#include "data_sources/market_status_client.hpp"
#include "orchestrator/backfill_job.hpp"
#include "orchestrator/run_id.hpp"
#include "sinks/parquet/parquet_bar_sink.hpp"
#include "utils/json_text.hpp"

namespace soi::cli {
namespace {

struct BackfillOptions {
  std::string source = "spy";
  std::string from, to;
  int last = 0;
  std::string base_url;
  std::string data_dir;
  bool json = false;
};

// Checked before anything is set up or contacted: a usage error costs nothing.
std::pair<Date, Date> parse_range(const BackfillOptions& o) {
  if (o.last > 0) {
    if (!o.from.empty() || !o.to.empty())
      throw SoiError(ErrorCategory::config, "--last cannot be combined with --from/--to");
    return {};
  }
  if (o.from.empty()) throw SoiError(ErrorCategory::config, "give --from YYYY-MM-DD (and optionally --to), or --last N");
  auto from = parse_date(o.from);
  auto to = parse_date(o.to.empty() ? o.from : o.to);
  if (!from) throw SoiError(ErrorCategory::config, "--from: expected a date YYYY-MM-DD, got '" + o.from + "'");
  if (!to) throw SoiError(ErrorCategory::config, "--to: expected a date YYYY-MM-DD, got '" + o.to + "'");
  if (to_sys(*to) < to_sys(*from))
    throw SoiError(ErrorCategory::config, "--to (" + o.to + ") is before --from (" + o.from + ")");
  return {*from, *to};
}

std::vector<Date> resolve_days(const BackfillOptions& o, const std::pair<Date, Date>& range,
                               const MarketCalendar& calendar) {
  if (o.last > 0) return calendar.last_trading_days(today_ny(), o.last);
  return calendar.trading_days(range.first, range.second);
}

std::string summary_json(const BackfillSummary& s, const RunContext& run, double seconds, const std::string& manifest) {
  std::string days;
  for (const auto& d : s.days) {
    if (!days.empty()) days += ",";
    days += fmt::format(R"({{"date":"{}","ok":{},"rows":{},"quarantined":{},"duplicates":{},"pages":{},)"
                        R"("fetch_seconds":{:.3f},"commit_seconds":{:.3f},"path":{},"error":{}}})",
                        format_date(d.date), d.ok, d.rows, d.rejects, d.duplicates, d.pages, d.fetch_seconds,
                        d.commit_seconds, json_quote(d.location), d.error.empty() ? "null" : json_quote(d.error));
  }
  return fmt::format(R"({{"run_id":{},"feed":{},"status":{},"days":{},"days_failed":{},"days_skipped":{},)"
                     R"("rows":{},"quarantined":{},"errors":{},"http_requests":{},"http_retries":{},"seconds":{:.3f},"data_dir":{},)"
                     R"("manifest":{},"day_results":[{}]}})",
                     json_quote(run.run.run_id), json_quote(s.feed), json_quote(s.failed_days() ? "failed" : "ok"),
                     s.days.size() + s.days_skipped, s.failed_days(), s.days_skipped, s.rows(), s.rejects(),
                     run.errors.total(), run.client->stats().requests, run.client->stats().retries, seconds, json_quote(run.config.settings.data_dir), json_quote(manifest), days);
}

void print_text_summary(const BackfillSummary& s, const RunContext& run, double seconds, const std::string& manifest) {
  const auto& data_dir = run.config.settings.data_dir;
  std::uint64_t files = 0;
  for (const auto& d : s.days) files += d.ok ? 1 : 0;
  std::cout << fmt::format("backfill {} finished in {:.1f} s (run {})\n", s.feed, seconds, run.run.run_id);
  std::cout << fmt::format("  days: {} ok, {} failed{}   rows: {}   files: {}   quarantined: {}\n",
                           s.days.size() - (s.failed_days() - s.days_skipped), s.failed_days() - s.days_skipped,
                           s.days_skipped ? fmt::format(", {} skipped", s.days_skipped) : "", s.rows(), files,
                           s.rejects());
  for (const auto& d : s.days)
    std::cout << fmt::format("    {}  {:>7} rows  {}\n", format_date(d.date), d.rows, d.ok ? d.location : "FAILED: " + d.error);
  std::cout << fmt::format("  data:     {}/raw/{}/date=YYYY-MM-DD/data.parquet\n", data_dir, s.feed);
  std::cout << fmt::format("  manifest: {}\n", manifest);
  std::cout << fmt::format("  query:    soi query \"SELECT date, count(*) AS bars, min(low), max(high) FROM "
                           "read_parquet('{}/raw/{}/*/*.parquet', hive_partitioning=true) GROUP BY date ORDER BY date\"\n"
                           "            (the same SQL works in the duckdb CLI; pandas/polars read {}/raw/{} directly)\n",
                           data_dir, s.feed, data_dir, s.feed);
  std::string errors = run.errors.to_text();
  if (!errors.empty()) std::cerr << errors;
}

}  // namespace

void add_backfill_command(CLI::App& app, const GlobalOptions& global, Runner& runner) {
  auto options = std::make_shared<BackfillOptions>();
  CLI::App* cmd = app.add_subcommand("backfill", "Download history over REST into date-partitioned Parquet. "
                                                 "Trading days only; rerunning a day replaces it atomically.");
  cmd->add_option("--source", options->source, "feed to backfill")->check(CLI::IsMember({"spy"}))->capture_default_str();
  cmd->add_option("--from", options->from, "first day, YYYY-MM-DD (New York trading date)");
  cmd->add_option("--to", options->to, "last day, YYYY-MM-DD, inclusive (default: --from)");
  cmd->add_option("--last", options->last, "the last N trading days before today instead of --from/--to")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--base-url", options->base_url, "REST base URL (default: sources.yaml rest_base_url), "
                                                   "e.g. http://127.0.0.1:8080 for the simulator");
  cmd->add_option("--data-dir", options->data_dir, "data directory (default: settings.yaml data_dir)");
  cmd->add_flag("--json", options->json, "print the run summary as JSON on stdout");
  auto run_backfill = [options, &global]() -> int {
    const auto start = std::chrono::steady_clock::now();
    const auto range = parse_range(*options);
    RunOverrides overrides{options->base_url, options->data_dir};
    auto run_owner = prepare_run(global.config_dir, overrides, global.command_line);
    RunContext& run = *run_owner;
    auto days = resolve_days(*options, range, run.calendar);
    BarFeedSpec feed{"spy", run.config.sources.spy.ticker, AggsShape::equity, run.config.sources.spy.page_limit,
                     run.config.sources.spy.adjusted};
    ParquetBarSink sink(run.config.settings.data_dir, run.config.sinks.parquet);
    BackfillJob job(BackfillServices{run.config, *run.client, run.calendar, sink, *run.manifest, *run.quarantine,
                                     *run.drift, run.errors, run.run});
    ProgressReporter progress("backfill " + feed.feed, days.size(),
                              options->json ? "never" : run.config.settings.progress,
                              run.config.settings.progress_interval_seconds);
    BackfillSummary summary = job.run(feed, days, &progress);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const bool ok = summary.failed_days() == 0;
    std::string manifest = finish_run(run, ok ? "ok" : (summary.rows() ? "partial" : "failed"));
    if (options->json) std::cout << summary_json(summary, run, seconds, manifest) << "\n";
    else print_text_summary(summary, run, seconds, manifest);
    return ok ? 0 : 1;
  };
  cmd->callback([&runner, run_backfill]() { runner = run_backfill; });
}

}  // namespace soi::cli
