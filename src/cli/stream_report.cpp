#include "cli/stream_report.hpp"

#include <fmt/format.h>

#include "utils/json_text.hpp"

namespace soi::cli {
namespace {

std::string_view status_of(const StreamSessionSummary& s) {
  if (!s.ok || !s.error.empty()) return "failed";
  return s.stopped ? "stopped" : "ok";
}

}  // namespace

std::string stream_summary_json(const StreamSessionSummary& s, const StreamReportContext& context) {
  std::string feeds;
  for (const auto& f : s.feeds)
    feeds += fmt::format(R"({}{{"feed":{},"rows":{},"tickers":{}}})", feeds.empty() ? "" : ",", json_quote(f.feed),
                         f.rows, f.tickers);
  auto quoted_or_null = [](const std::string& text) { return text.empty() ? std::string("null") : json_quote(text); };
  return fmt::format(
      R"({{"run_id":{},"date":{},"status":{},"ok":{},"stopped":{},"error":{},"error_category":{},)"
      R"("events":{},"replayed":{},"quarantined":{},"late":{},"reconnects":{},"gaps":{},"gap_bars":{},)"
      R"("commits":{},"spilled_batches":{},"news_articles":{},"contracts":{},"connections":{},"seconds":{:.3f},)"
      R"("clock":{},"data_dir":{},"manifest":{},"feeds":[{}]}})",
      json_quote(context.run_id), json_quote(format_date(s.date)), json_quote(status_of(s)), s.ok, s.stopped,
      quoted_or_null(s.error), quoted_or_null(s.error_category), s.events, s.replayed, s.quarantined, s.late,
      s.reconnects, s.gaps, s.gap_bars, s.commits, s.spilled_batches, s.news_articles, s.contracts, s.connections,
      s.seconds, json_quote(context.clock), json_quote(context.data_dir), quoted_or_null(context.manifest), feeds);
}

std::string stream_summary_text(const StreamSessionSummary& s, const StreamReportContext& context) {
  std::string out = fmt::format("stream {} {} in {:.1f} s (run {}, clock {})\n", format_date(s.date), status_of(s),
                                s.seconds, context.run_id, context.clock);
  for (const auto& f : s.feeds)
    out += fmt::format("  {:<8} {:>9} rows  {:>5} ticker(s)\n", f.feed + ":", f.rows, f.tickers);
  out += fmt::format("  events: {}   replayed: {}   quarantined: {} ({} late)\n", s.events, s.replayed,
                     s.quarantined, s.late);
  out += fmt::format("  connections: {}   reconnects: {}   gaps repaired: {} ({} bars)\n", s.connections,
                     s.reconnects, s.gaps, s.gap_bars);
  out += fmt::format("  commits: {}   spilled batches: {}   news articles: {}   option contracts: {}\n", s.commits,
                     s.spilled_batches, s.news_articles, s.contracts);
  out += fmt::format("  data:     {}/raw/<feed>/date={}/data.parquet\n", context.data_dir, format_date(s.date));
  if (!context.manifest.empty()) out += fmt::format("  manifest: {}\n", context.manifest);
  if (!s.error.empty())
    out += fmt::format("  error:    {}{}\n", s.error_category.empty() ? "" : "[" + s.error_category + "] ", s.error);
  return out;
}

}  // namespace soi::cli
