#include "cli/backfill_report.hpp"

#include <algorithm>
#include <iostream>
#include <set>

#include <fmt/format.h>

#include "sinks/duckdb/consolidated_duckdb_sink.hpp"
#include "utils/json_text.hpp"

namespace soi::cli {
namespace {

std::string feed_json(const BackfillSummary& s) {
  std::string days;
  for (const auto& d : s.days) {
    if (!days.empty()) days += ",";
    days += fmt::format(R"({{"date":"{}","ok":{},"rows":{},"quarantined":{},"duplicates":{},"pages":{},)"
                        R"("fetch_seconds":{:.3f},"commit_seconds":{:.3f},"path":{},"error":{}}})",
                        format_date(d.date), d.ok, d.rows, d.rejects, d.duplicates, d.pages, d.fetch_seconds,
                        d.commit_seconds, json_quote(d.location), d.error.empty() ? "null" : json_quote(d.error));
  }
  return fmt::format(R"({{"feed":{},"status":{},"days_failed":{},"days_skipped":{},"rows":{},"quarantined":{},)"
                     R"("day_results":[{}]}})",
                     json_quote(s.feed), json_quote(s.failed_days() ? "failed" : "ok"), s.failed_days(),
                     s.days_skipped, s.rows(), s.rejects(), days);
}

}  // namespace

bool BackfillReport::ok() const {
  return std::all_of(feeds.begin(), feeds.end(), [](const auto& f) { return f.failed_days() == 0; });
}

std::uint64_t BackfillReport::rows() const {
  std::uint64_t n = 0;
  for (const auto& f : feeds) n += f.rows();
  return n;
}

std::string backfill_report_json(const BackfillReport& report, const RunContext& run) {
  std::set<std::string> failed_days;
  std::uint64_t skipped = 0, quarantined = 0;
  std::string feeds;
  for (const auto& f : report.feeds) {
    for (const auto& d : f.days)
      if (!d.ok) failed_days.insert(format_date(d.date));
    skipped = std::max(skipped, f.days_skipped);
    quarantined += f.rejects();
    feeds += (feeds.empty() ? "" : ",") + feed_json(f);
  }
  const RestClientStats http = total_http_stats(run);
  return fmt::format(R"({{"run_id":{},"status":{},"days":{},"days_failed":{},"days_skipped":{},"rows":{},)"
                     R"("quarantined":{},"errors":{},"http_requests":{},"http_retries":{},"seconds":{:.3f},)"
                     R"("data_dir":{},"manifest":{},"feeds":[{}]}})",
                     json_quote(run.run.run_id), json_quote(report.ok() ? "ok" : "failed"), report.trading_days,
                     failed_days.size(), skipped, report.rows(), quarantined, run.errors.total(), http.requests,
                     http.retries, report.seconds, json_quote(run.config.settings.data_dir),
                     json_quote(report.manifest), feeds);
}

void print_backfill_report(const BackfillReport& report, const RunContext& run) {
  const auto& data_dir = run.config.settings.data_dir;
  std::cout << fmt::format("backfill finished in {:.1f} s (run {}): {} trading day(s), {} rows\n", report.seconds,
                           run.run.run_id, report.trading_days, report.rows());
  for (const auto& s : report.feeds) {
    const std::uint64_t failed = s.failed_days() - s.days_skipped;
    std::cout << fmt::format("  {}: {} ok, {} failed{}   rows: {}   files: {}   quarantined: {}\n", s.feed,
                             s.days.size() - failed, failed,
                             s.days_skipped ? fmt::format(", {} skipped", s.days_skipped) : "", s.rows(),
                             s.days.size() - failed, s.rejects());
    for (const auto& d : s.days)
      std::cout << fmt::format("    {}  {:>7} rows  {}\n", format_date(d.date), d.rows,
                               d.ok ? d.location : "FAILED: " + d.error);
  }
  std::cout << fmt::format("  data:     {}/raw/<feed>/date=YYYY-MM-DD/data.parquet\n", data_dir);
  std::cout << fmt::format("  manifest: {}\n", report.manifest);
  if (run.config.sinks.duckdb.enabled) {
    const std::string db = run.config.sinks.duckdb.path.empty()
                               ? ConsolidatedDuckDbSink::default_path(data_dir).string()
                               : run.config.sinks.duckdb.path;
    std::cout << fmt::format("  database: {}   (soi query --database {} \"SELECT * FROM market_seconds LIMIT 5\")\n",
                             db, db);
  }
  if (!report.feeds.empty()) {
    const std::string& feed = report.feeds.front().feed;
    std::cout << fmt::format(
        "  query:    soi query \"SELECT date, count(*) AS bars, min(low), max(high) FROM "
        "read_parquet('{}/raw/{}/*/*.parquet', hive_partitioning=true) GROUP BY date ORDER BY date\"\n"
        "            (the same SQL works in the duckdb CLI; pandas/polars read {}/raw/{} directly)\n",
        data_dir, feed, data_dir, feed);
  }
  std::string errors = run.errors.to_text();
  if (!errors.empty()) std::cerr << errors;
}

}  // namespace soi::cli
