// Where each record of the stream goes, decided the same way live and on a
// replay of the write-ahead log: into the session's day book, into the book of
// another trading day (a late record the late-data policy accepts, or a day a
// killed run never committed), or to the quarantine with its reason (unknown
// feed id, a later day than it was received on, too late, outside its
// session). Live rejects are quarantined; replayed ones were quarantined when
// they were first received, so they are only skipped.
//
// Another day's book is seeded from what that day already has committed on its
// first use, so its commit merges with the stored day instead of replacing it.
//
// Threads: the session's writer thread only (recovery runs on it before any
// connection opens).
#pragma once

#include <cstdint>
#include <map>
#include <string_view>

#include "orchestrator/backfill_job.hpp"  // configured_session_window
#include "orchestrator/stream_feed_set.hpp"
#include "processing/late_data.hpp"
#include "processing/quarantine.hpp"
#include "processing/stream_day_book.hpp"
#include "processing/write_ahead_log.hpp"
#include "sinks/store/partition_store.hpp"

namespace soi {

class StreamDayRouter {
 public:
  struct Services {
    const StreamFeedSet& feeds;
    const MarketCalendar& calendar;  // trading days and their sessions
    QuarantineWriter& quarantine;
    PartitionStore& store;   // the committed days that seed a book
  };
  StreamDayRouter(Services services, Date session_date, BarWindow session);

  // A record received now, on the session's day.
  void route_live(const WalRecord& record) { route(record, session_date_, true, false); }
  // A record of the log, received on `received_on`. fill_only (a record older
  // than a backfill of its day): it only fills a (ticker, second) the day lacks.
  void route_replayed(const WalRecord& record, Date received_on, bool fill_only) {
    route(record, received_on, false, fill_only);
  }

  // What `day` already has committed, added to its book (a restart's starting point).
  void seed_from_committed(StreamDayBook& day);

  StreamDayBook& session_day() noexcept { return book_; }
  const StreamDayBook& session_day() const noexcept { return book_; }
  // Days other than the session's that records went to, in date order.
  std::map<int, StreamDayBook>& other_days() noexcept { return other_days_; }

  std::uint64_t late_rejects() const noexcept { return late_rejects_; }  // live records only
  std::uint64_t superseded() const noexcept { return superseded_; }      // fill_only records already held

 private:
  void route(const WalRecord& record, Date received_on, bool live, bool fill_only);
  void add_to(StreamDayBook& day, StreamFeed feed, const WalRecord& record, bool fill_only);
  StreamDayBook& other_day(Date d);
  void quarantine(const WalRecord& record, std::string_view reason);

  Services s_;
  Date session_date_;
  BarWindow session_;
  StreamDayBook book_;
  std::map<int, StreamDayBook> other_days_;
  LateDataPolicy late_;
  std::uint64_t late_rejects_ = 0;
  std::uint64_t superseded_ = 0;
};

}  // namespace soi
