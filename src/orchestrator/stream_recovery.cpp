#include "orchestrator/stream_recovery.hpp"

#include "monitoring/logging.hpp"
#include "orchestrator/superseded_days.hpp"
#include "sinks/parquet/bar_partition_reader.hpp"
#include "utils/time_util.hpp"

namespace soi {

StreamRecoveryResult StreamRecovery::run(const BarWindow& session) {
  StreamRecoveryResult result;
  StreamDayBook& day = s_.router.session_day();
  s_.router.seed_from_committed(day);

  const SupersededDays backfilled(superseded_days_file(s_.data_dir));
  const std::uint64_t replayed = s_.ingest.replay([&](const WalRecord& r) {
    const auto feed = s_.feeds.from_log_id(r.feed);
    const bool older =
        feed && backfilled.superseded(s_.feeds.spec(*feed).name, ny_date_of_utc_ms(r.bar.ts_ms), r.receive_ms);
    s_.router.route_replayed(r, ny_date_of_utc_ms(r.receive_ms), older);
  });
  result.superseded = s_.router.superseded();
  result.replayed = replayed - result.superseded;
  if (result.replayed || result.superseded)
    exec_log().info("stream {}: replayed {} record(s) from the write-ahead log; {} older than a backfill that has "
                    "their second skipped", format_date(day.date()), result.replayed, result.superseded);

  if (s_.feeds.options()) result.universe = read_universe_partition(s_.store, day.date());

  auto& others = s_.router.other_days();
  for (auto& [key, other] : others) {
    const bool ok = s_.committer.commit_bars(other, configured_session_window(s_.feeds.config(), s_.calendar, other.date()),
                                             {StreamDayCommitter::Feeds::with_bars, false, false});
    // The log is the only copy of what the failed day misses: never checkpoint past it.
    if (!ok) s_.committer.hold_log();
    exec_log().info("stream: recovered {} record(s) of unfinished day {} from the write-ahead log{}",
                    other.bars_added(), format_date(other.date()), ok ? "" : " (commit failed; run soi backfill)");
  }
  others.clear();
  if (result.replayed)
    s_.committer.commit_bars(day, session, {StreamDayCommitter::Feeds::with_bars, false, true});
  return result;
}

}  // namespace soi
