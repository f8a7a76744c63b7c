// The streamed trading day so far, per feed and ticker: what the stream
// commits (the whole day, every commit interval: replacing a day is atomic and
// idempotent, so re-writing it is how a restart or a late bar is absorbed).
//
// Bars are appended as they arrive (no per-event sorting or lookup beyond one
// hash probe); snapshot() sorts and de-duplicates in place, later arrival wins
// on (ticker, ts), exactly like the backfill's dedup.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "processing/records.hpp"

namespace soi {

// A streamed feed: its position in the FeedRegistry (config/feed_registry.hpp),
// which is also the feed id written into the write-ahead log. A plain byte:
// the hot path passes it by value and indexes with it.
struct StreamFeed {
  std::uint8_t index = 0;
  friend constexpr bool operator==(StreamFeed, StreamFeed) = default;
};

class StreamDayBook {
 public:
  // series_capacity: bars to reserve for a ticker when it first appears
  // (e.g. the session's seconds), capped at kMaxSeriesReserve. Reserving
  // spares the writer most of the vector's regrowth copies, which were a
  // large part of its time at a million events/s; the cap bounds the address
  // space a thousand contracts take (4,096 bars: 288 KiB each).
  static constexpr std::size_t kMaxSeriesReserve = 4096;
  explicit StreamDayBook(Date date, std::size_t series_capacity = 0)
      : date_(date), series_capacity_(std::min(series_capacity, kMaxSeriesReserve)) {}

  Date date() const noexcept { return date_; }

  void add(StreamFeed feed, std::string_view ticker, const Bar& bar);
  // Every bar of `day` (e.g. the committed partition read back at a restart).
  void add_day(StreamFeed feed, const BarDay& day);

  // Option metadata written beside the bars (from the universe, or a committed partition).
  void set_contract(const OptionContract& contract);
  bool has_contract(std::string_view ticker) const;

  // The day of `feed`, one BarDay per ticker (sorted by ticker), bars sorted by
  // ts and de-duplicated (the stored bars are compacted too). A ticker with a
  // contract (set_contract) carries it. BarDay::feed is left empty: the book
  // knows feeds by index only, the caller names them.
  std::vector<BarDay> snapshot(StreamFeed feed);
  // The day's last snapshot of `feed` (at the close): the same days, with the
  // bars moved out instead of copied. The book keeps the counts (rows(),
  // tickers()) and last_ts; the feed is then closed: adding to it or taking
  // another snapshot of it throws std::logic_error (a fragment of the day must
  // never be committed as the day).
  std::vector<BarDay> take(StreamFeed feed);

  // Whether the bars read back from the committed partition (add_day into an
  // empty ticker, or a snapshot, which sorts) hold a bar of `ticker` at ts_ms.
  // What a replay asks before filling a day that a backfill has replaced.
  bool holds(StreamFeed feed, std::string_view ticker, std::int64_t ts_ms) const;

  // Latest bar start of `ticker` (nullopt: none yet).
  std::optional<std::int64_t> last_ts(StreamFeed feed, std::string_view ticker) const;
  // Latest bar start over every ticker of `feed` (nullopt: none yet).
  std::optional<std::int64_t> last_ts(StreamFeed feed) const;

  // Bars held for `feed` (taken ones included): distinct (ticker, ts) rows right
  // after a snapshot, which compacts them (what a summary counts without
  // copying the day again).
  std::uint64_t rows(StreamFeed feed) const;
  std::uint64_t bars_added() const noexcept { return added_; }   // including duplicates
  std::uint64_t duplicates() const noexcept { return duplicates_; }  // removed by snapshots so far
  std::size_t tickers(StreamFeed feed) const { return feed.index < feeds_.size() ? feeds_[feed.index].size() : 0; }

 private:
  struct Series {
    std::vector<Bar> bars;
    std::int64_t last_ts = INT64_MIN;
    std::size_t sorted = 0;   // bars[0, sorted) are sorted by ts, without duplicates
  };
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  using SeriesMap = std::unordered_map<std::string, Series, TextHash, std::equal_to<>>;

  Series& series(StreamFeed feed, std::string_view ticker);
  SeriesMap& feed_map(StreamFeed feed);              // grown on a feed's first use
  const SeriesMap* find_feed(StreamFeed feed) const;  // nullptr: nothing of the feed yet
  void check_open(StreamFeed feed) const;
  std::vector<BarDay> collect(StreamFeed feed, bool move_bars);

  Date date_;
  std::size_t series_capacity_ = 0;
  std::vector<std::optional<std::uint64_t>> taken_rows_;  // set by take(): the feed is closed
  std::vector<SeriesMap> feeds_;                          // by StreamFeed::index
  std::unordered_map<std::string, OptionContract, TextHash, std::equal_to<>> contracts_;
  std::uint64_t added_ = 0;
  std::uint64_t duplicates_ = 0;
};

}  // namespace soi
