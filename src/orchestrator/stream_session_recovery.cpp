// The stream session's recovery: the day (and unfinished earlier days) seeded
// from what was committed, then the write-ahead log replayed and routed exactly
// as the live run routed it.
#include "orchestrator/stream_session_impl.hpp"

namespace soi {

using namespace stream_session_detail;

void StreamSession::Impl::seed_from_committed(StreamDayBook& target, Date d) {
  for (StreamFeed feed : streamed) {
    if (!feed_enabled(feed)) continue;
    for (const BarDay& day : read_bar_partition(s.store, spec(feed).name, d))
      target.add_day(feed, day);
  }
}

// The committed day from Parquet, then what the log received after the last
// checkpoint: exactly the state the previous run had, whatever killed it.
void StreamSession::Impl::recover() {
  seed_from_committed(book, session.date);
  // A backfill that replaced a day after these records were received has the
  // day as REST has it: those records only fill what it lacks (see SupersededDays).
  const SupersededDays backfilled(superseded_days_file(s.data_dir));
  replayed = ingest->replay([&](const WalRecord& r) {
    const auto feed = stream_feed(r.feed);
    const bool older = feed && backfilled.superseded(spec(*feed).name, ny_date_of_utc_ms(r.bar.ts_ms), r.receive_ms);
    route(r, ny_date_of_utc_ms(r.receive_ms), false, older);
  });
  replayed -= superseded;
  if (replayed || superseded)
    exec_log().info("stream {}: replayed {} record(s) from the write-ahead log; {} older than a backfill that has "
                    "their second skipped", format_date(session.date), replayed, superseded);
}

void StreamSession::Impl::quarantine(const WalRecord& r, std::string_view reason) {
  const auto feed = stream_feed(r.feed);
  const std::string raw = fmt::format(
      R"({{"ev":"A","sym":"{}","s":{},"o":{},"h":{},"l":{},"c":{},"v":{},"vw":{}}})", r.symbol, r.bar.ts_ms,
      r.bar.open, r.bar.high, r.bar.low, r.bar.close, r.bar.volume, r.bar.vwap);
  s.backfill.quarantine.add(feed ? std::string_view(spec(*feed).name) : std::string_view("stream"), ny_date_of_utc_ms(r.bar.ts_ms), r.symbol, reason, raw,
                            "websocket");
}

// Where a record belongs, decided the same way live and on replay: `current` is
// the day it was received on (the session's day live, the receive day in a
// replay). Live rejects go to the quarantine; replayed ones were quarantined
// when they were received, so they are only skipped.
void StreamSession::Impl::add_to(StreamDayBook& day, StreamFeed feed, const WalRecord& r, bool fill_only) {
  if (fill_only && day.holds(feed, r.symbol, r.bar.ts_ms)) {
    ++superseded;
    return;
  }
  day.add(feed, r.symbol, r.bar);
}

void StreamSession::Impl::route(const WalRecord& r, Date current, bool live, bool fill_only) {
  const auto feed = stream_feed(r.feed);
  if (!feed) {
    if (live) quarantine(r, "record of an unknown feed id");
    return;
  }
  if (r.bar.ts_ms >= session.open_ms && r.bar.ts_ms < session.close_ms) return add_to(book, *feed, r, fill_only);
  const Date d = ny_date_of_utc_ms(r.bar.ts_ms);
  std::string reason;
  if (to_sys(d) > to_sys(current)) {
    reason = fmt::format("future_session: bar at {} belongs to a later day than {}", format_utc_iso_ms(r.bar.ts_ms),
                         format_date(current));
  } else if (const auto verdict = late.check(r.bar.ts_ms, current); !verdict) {
    if (live) ++late_rejects;
    reason = verdict.reason;
  } else if (const BarWindow w = job.session_window(d);
             !s.backfill.calendar.is_trading_day(d) || r.bar.ts_ms < w.from_ms || r.bar.ts_ms >= w.to_ms) {
    reason = fmt::format("outside_session: bar at {} is outside the regular session of {}",
                         format_utc_iso_ms(r.bar.ts_ms), format_date(d));
  }
  if (!reason.empty()) {
    if (live) quarantine(r, reason);
    return;
  }
  // Another day's session: accepted late (late_data policy) or recovered from the log.
  if (d == session.date) return add_to(book, *feed, r, fill_only);
  add_to(other_day(d), *feed, r, fill_only);
}

StreamDayBook& StreamSession::Impl::other_day(Date d) {
  const auto key = static_cast<int>(to_sys(d).time_since_epoch().count());
  auto it = other_days.find(key);
  if (it == other_days.end()) {
    it = other_days.emplace(key, StreamDayBook(d)).first;
    seed_from_committed(it->second, d);  // merged with what that day already holds
  }
  return it->second;
}

}  // namespace soi
