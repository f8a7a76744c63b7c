#include "orchestrator/stream_day_router.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "sinks/parquet/bar_partition_reader.hpp"
#include "utils/time_util.hpp"

namespace soi {

namespace {

std::size_t session_seconds(const BarWindow& session) {
  return static_cast<std::size_t>(std::max<std::int64_t>(0, session.to_ms - session.from_ms) / 1000);
}

}  // namespace

StreamDayRouter::StreamDayRouter(Services services, Date session_date, BarWindow session)
    : s_(services),
      session_date_(session_date),
      session_(session),
      book_(session_date, session_seconds(session)),
      late_(s_.feeds.config().settings.late_data, IngestMode::streaming, &s_.calendar) {}

void StreamDayRouter::seed_from_committed(StreamDayBook& day) {
  for (StreamFeed feed : s_.feeds.all()) {
    if (!s_.feeds.enabled(feed)) continue;
    for (const BarDay& committed : read_bar_partition(s_.store, s_.feeds.spec(feed).name, day.date()))
      day.add_day(feed, committed);
  }
}

void StreamDayRouter::quarantine(const WalRecord& r, std::string_view reason) {
  const auto feed = s_.feeds.from_log_id(r.feed);
  const std::string raw = fmt::format(
      R"({{"ev":"A","sym":"{}","s":{},"o":{},"h":{},"l":{},"c":{},"v":{},"vw":{}}})", r.symbol, r.bar.ts_ms,
      r.bar.open, r.bar.high, r.bar.low, r.bar.close, r.bar.volume, r.bar.vwap);
  s_.quarantine.add(feed ? std::string_view(s_.feeds.spec(*feed).name) : std::string_view("stream"),
                    ny_date_of_utc_ms(r.bar.ts_ms), r.symbol, reason, raw, "websocket");
}

void StreamDayRouter::add_to(StreamDayBook& day, StreamFeed feed, const WalRecord& r, bool fill_only) {
  if (fill_only && day.holds(feed, r.symbol, r.bar.ts_ms)) {
    ++superseded_;
    return;
  }
  day.add(feed, r.symbol, r.bar);
}

void StreamDayRouter::route(const WalRecord& r, Date received_on, bool live, bool fill_only) {
  const auto feed = s_.feeds.from_log_id(r.feed);
  if (!feed) {
    if (live) quarantine(r, "record of an unknown feed id");
    return;
  }
  if (r.bar.ts_ms >= session_.from_ms && r.bar.ts_ms < session_.to_ms) return add_to(book_, *feed, r, fill_only);
  const Date d = ny_date_of_utc_ms(r.bar.ts_ms);
  std::string reason;
  if (to_sys(d) > to_sys(received_on)) {
    reason = fmt::format("future_session: bar at {} belongs to a later day than {}", format_utc_iso_ms(r.bar.ts_ms),
                         format_date(received_on));
  } else if (const auto verdict = late_.check(r.bar.ts_ms, received_on); !verdict) {
    if (live) ++late_rejects_;
    reason = verdict.reason;
  } else if (const BarWindow w = configured_session_window(s_.feeds.config(), s_.calendar, d);
             !s_.calendar.is_trading_day(d) || r.bar.ts_ms < w.from_ms || r.bar.ts_ms >= w.to_ms) {
    reason = fmt::format("outside_session: bar at {} is outside the regular session of {}",
                         format_utc_iso_ms(r.bar.ts_ms), format_date(d));
  }
  if (!reason.empty()) {
    if (live) quarantine(r, reason);
    return;
  }
  // Another day's session: accepted late (late_data policy) or recovered from the log.
  if (d == session_date_) return add_to(book_, *feed, r, fill_only);
  add_to(other_day(d), *feed, r, fill_only);
}

StreamDayBook& StreamDayRouter::other_day(Date d) {
  const auto key = static_cast<int>(to_sys(d).time_since_epoch().count());
  auto it = other_days_.find(key);
  if (it == other_days_.end()) {
    it = other_days_.emplace(key, StreamDayBook(d)).first;
    seed_from_committed(it->second);  // merged with what that day already holds
  }
  return it->second;
}

}  // namespace soi
