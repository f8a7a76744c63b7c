#include "orchestrator/stream_day_committer.hpp"

#include "utils/time_util.hpp"

namespace soi {

StreamDayCommitter::StreamDayCommitter(const StreamFeedSet& feeds, BackfillJob& job, StreamIngest& ingest)
    : feeds_(feeds), job_(job), ingest_(ingest) {}

bool StreamDayCommitter::commit_bars(StreamDayBook& day, const BarWindow& window, Options options) {
  const auto position = ingest_.drained_position();
  bool ok = true;
  for (StreamFeed feed : feeds_.all()) {
    if (!feeds_.enabled(feed) || (options.feeds == Feeds::with_bars && day.tickers(feed) == 0)) continue;
    const FeedSpec& f = feeds_.spec(feed);
    std::vector<BarDay> days = options.last ? day.take(feed) : day.snapshot(feed);
    for (BarDay& d : days) d.feed = f.name;
    DayOutcome out;
    const ErrorContext context{f.name, "", format_date(day.date()), ""};
    ok &= job_.commit(
        BarPartition{f.name, day.date(), days, window.from_ms, window.to_ms, f.sql_table, &dataset_for(f.dataset)},
        f.name, context, out);
    if (first_error_.empty() && !out.error.empty()) {
      first_error_ = out.error;
      first_error_category_ = out.error_category;
    }
  }
  ++commits_;
  // Everything logged before `position` is in this snapshot: the log may forget it.
  if (ok && position && options.checkpoint && !log_held_) ingest_.checkpoint(*position);
  return ok;
}

bool StreamDayCommitter::commit_universe(Date day, const OptionsUniverse& universe) {
  const FeedSpec& options = feeds_.options_spec();
  const ErrorContext context{options.name, universe.underlying, format_date(day), ""};
  DayOutcome out;
  return job_.commit(ContractsPartition{day, universe}, feeds_.contracts_dataset(), context, out);
}

}  // namespace soi
