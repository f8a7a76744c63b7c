#include "processing/stream_day_book.hpp"

#include <algorithm>
#include <stdexcept>

#include "processing/dedup.hpp"

namespace soi {

StreamDayBook::SeriesMap& StreamDayBook::feed_map(StreamFeed feed) {
  if (feed.index >= feeds_.size()) {
    feeds_.resize(feed.index + 1u);
    taken_rows_.resize(feed.index + 1u);
  }
  return feeds_[feed.index];
}

const StreamDayBook::SeriesMap* StreamDayBook::find_feed(StreamFeed feed) const {
  return feed.index < feeds_.size() ? &feeds_[feed.index] : nullptr;
}

StreamDayBook::Series& StreamDayBook::series(StreamFeed feed, std::string_view ticker) {
  auto& map = feed_map(feed);
  auto it = map.find(ticker);
  if (it == map.end()) {
    it = map.emplace(std::string(ticker), Series{}).first;
    it->second.bars.reserve(series_capacity_);
  }
  return it->second;
}

void StreamDayBook::check_open(StreamFeed feed) const {
  if (feed.index < taken_rows_.size() && taken_rows_[feed.index])
    throw std::logic_error("StreamDayBook: the day of stream feed " + std::to_string(feed.index) +
                           " was already taken");
}

void StreamDayBook::add(StreamFeed feed, std::string_view ticker, const Bar& bar) {
  check_open(feed);
  Series& s = series(feed, ticker);
  s.bars.push_back(bar);
  s.last_ts = std::max(s.last_ts, bar.ts_ms);
  ++added_;
}

void StreamDayBook::add_day(StreamFeed feed, const BarDay& day) {
  check_open(feed);
  Series& s = series(feed, day.ticker);
  const bool first = s.bars.empty();
  s.bars.insert(s.bars.end(), day.bars.begin(), day.bars.end());
  if (first && std::adjacent_find(s.bars.begin(), s.bars.end(), [](const Bar& a, const Bar& b) {
                 return a.ts_ms >= b.ts_ms;
               }) == s.bars.end())
    s.sorted = s.bars.size();
  for (const Bar& b : day.bars) s.last_ts = std::max(s.last_ts, b.ts_ms);
  added_ += day.bars.size();
  if (day.contract) set_contract(*day.contract);
}

void StreamDayBook::set_contract(const OptionContract& contract) {
  contracts_.insert_or_assign(contract.ticker, contract);
}

bool StreamDayBook::has_contract(std::string_view ticker) const { return contracts_.find(ticker) != contracts_.end(); }

std::vector<BarDay> StreamDayBook::snapshot(StreamFeed feed) { return collect(feed, false); }

std::vector<BarDay> StreamDayBook::take(StreamFeed feed) {
  auto days = collect(feed, true);
  std::uint64_t rows = 0;
  for (const BarDay& d : days) rows += d.bars.size();
  feed_map(feed);
  taken_rows_[feed.index] = rows;
  return days;
}

bool StreamDayBook::holds(StreamFeed feed, std::string_view ticker, std::int64_t ts_ms) const {
  const SeriesMap* map = find_feed(feed);
  if (!map) return false;
  const auto it = map->find(ticker);
  if (it == map->end()) return false;
  const auto& bars = it->second.bars;
  const auto end = bars.begin() + static_cast<std::ptrdiff_t>(it->second.sorted);
  const auto at = std::lower_bound(bars.begin(), end, ts_ms, [](const Bar& b, std::int64_t t) { return b.ts_ms < t; });
  return at != end && at->ts_ms == ts_ms;
}

std::vector<BarDay> StreamDayBook::collect(StreamFeed feed, bool move_bars) {
  check_open(feed);
  auto& map = feed_map(feed);
  std::vector<const std::string*> names;
  names.reserve(map.size());
  for (const auto& [name, s] : map) names.push_back(&name);
  std::sort(names.begin(), names.end(), [](const std::string* a, const std::string* b) { return *a < *b; });
  std::vector<BarDay> out;
  out.reserve(names.size());
  for (const std::string* name : names) {
    Series& s = map.find(*name)->second;
    duplicates_ += dedup_keep_last(s.bars);
    s.sorted = s.bars.size();
    if (s.bars.empty()) continue;
    BarDay day;
    day.ticker = *name;
    day.date = date_;
    day.origin = Origin::ws;
    if (move_bars) {
      day.bars = std::move(s.bars);
      s.bars = {};
      s.sorted = 0;
    } else {
      day.bars = s.bars;
    }
    if (auto c = contracts_.find(*name); c != contracts_.end()) day.contract = c->second;
    out.push_back(std::move(day));
  }
  return out;
}

std::uint64_t StreamDayBook::rows(StreamFeed feed) const {
  const SeriesMap* map = find_feed(feed);
  if (!map) return 0;
  if (const auto& taken = taken_rows_[feed.index]) return *taken;
  std::uint64_t n = 0;
  for (const auto& [name, s] : *map) n += s.bars.size();
  return n;
}

std::optional<std::int64_t> StreamDayBook::last_ts(StreamFeed feed, std::string_view ticker) const {
  const SeriesMap* map = find_feed(feed);
  if (!map) return std::nullopt;
  auto it = map->find(ticker);
  if (it == map->end() || it->second.last_ts == INT64_MIN) return std::nullopt;
  return it->second.last_ts;
}

std::optional<std::int64_t> StreamDayBook::last_ts(StreamFeed feed) const {
  std::optional<std::int64_t> best;
  const SeriesMap* map = find_feed(feed);
  if (!map) return best;
  for (const auto& [name, s] : *map)
    if (s.last_ts != INT64_MIN && (!best || s.last_ts > *best)) best = s.last_ts;
  return best;
}

}  // namespace soi
