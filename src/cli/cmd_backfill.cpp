// soi backfill: historical download over REST into date-partitioned Parquet.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <utility>

#include "cli/backfill_report.hpp"
#include "cli/backfill_runner.hpp"
#include "cli/commands.hpp"
#include "cli/run_setup.hpp"
#include "sinks/sink_factory.hpp"

namespace soi::cli {
namespace {

struct BackfillOptions {
  std::string source = "all";  // every feed enabled in sources.yaml
  std::string from, to;
  int last = 0;
  std::string base_url;
  std::string data_dir;
  bool json = false;
  bool keep_tracked = false;
};

// Both checked before anything is set up or contacted: a usage error costs nothing.
SourceSelection parse_source(const BackfillOptions& o, const FeedRegistry& feeds) {
  SourceSelection selection = feeds.parse_sources(o.source);
  if (o.keep_tracked && !feeds.may_select(selection, DatasetKind::option_bars))
    throw SoiError(ErrorCategory::config,
                   "--keep-tracked-contracts applies to --source options or all (or a list naming options), not " +
                       o.source);
  return selection;
}

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

}  // namespace

void add_backfill_command(CLI::App& app, const GlobalOptions& global, Runner& runner) {
  auto options = std::make_shared<BackfillOptions>();
  const FeedRegistry feeds = default_feeds();
  CLI::App* cmd = app.add_subcommand("backfill", "Download history over REST into date-partitioned Parquet and the "
                                                 "SQL sinks of sinks.yaml. Rerunning a day replaces it atomically.");
  cmd->add_option("--source", options->source,
                  "feeds to backfill, comma-separated (e.g. spy,vix): " + feeds.source_choices() +
                      ". Default: all, every feed enabled in sources.yaml; a feed named here runs even when "
                      "disabled there");
  cmd->add_option("--from", options->from, "first day, YYYY-MM-DD (New York trading date)");
  cmd->add_option("--to", options->to, "last day, YYYY-MM-DD, inclusive (default: --from)");
  cmd->add_option("--last", options->last, "the last N trading days before today instead of --from/--to")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--base-url", options->base_url, "REST base URL for every source (default: sources.yaml "
                                                   "rest_base_url and vix.base_url), e.g. http://127.0.0.1:8080 "
                                                   "for the simulator");
  cmd->add_option("--data-dir", options->data_dir, "data directory (default: settings.yaml data_dir)");
  cmd->add_flag("--keep-tracked-contracts", options->keep_tracked,
               "options: keep the contracts a day's stored universe already tracks (e.g. added by a stream's "
               "re-centre) beside the band around the open, instead of rebuilding the universe from the open");
  cmd->add_flag("--json", options->json, "print the run summary as JSON on stdout");
  auto run_backfill = [options, &global]() -> int {
    const auto start = std::chrono::steady_clock::now();
    const SourceSelection sources = parse_source(*options, default_feeds());
    const auto range = parse_range(*options);
    RunOverrides overrides{options->base_url, options->data_dir};
    auto run_owner = prepare_run(global.config_dir, overrides, global.command_line);
    RunContext& run = *run_owner;
    auto days = resolve_days(*options, range, run.calendar);
    // Opened while the first days are fetched; the first commit waits for them.
    auto sinks = make_sinks_in_background(run.config, run.store, run.feeds);
    // News is published every day: it covers the calendar range asked for
    // (weekends and holidays included), not only its trading days.
    std::vector<Date> news_range{range.first, range.second};
    if (options->last > 0) {
      news_range.clear();
      if (!days.empty()) {
        const auto [lo, hi] = std::minmax_element(days.begin(), days.end(),
                                                  [](Date a, Date b) { return to_sys(a) < to_sys(b); });
        news_range = {*lo, *hi};
      }
    }
    BackfillReport report = run_backfill_feeds(
        run, *sinks, BackfillFeedsRequest{sources, days, news_range, options->json, options->keep_tracked});
    sinks->wait_open();  // sinks that could not be opened fail the run even when no day reached them
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const bool ok = report.ok();
    report.manifest = finish_run(run, ok ? "ok" : (report.rows() ? "partial" : "failed"));
    if (options->json) std::cout << backfill_report_json(report, run) << "\n";
    else print_backfill_report(report, run);
    return ok && run.finish_error.empty() ? 0 : 1;
  };
  cmd->callback([&runner, run_backfill]() { runner = run_backfill; });
}

}  // namespace soi::cli
