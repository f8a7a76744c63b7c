#include "processing/stream_day_book.hpp"

#include <algorithm>

#include "processing/dedup.hpp"

namespace soi {

std::string_view feed_name(StreamFeed feed) noexcept {
  switch (feed) {
    case StreamFeed::spy: return "spy";
    case StreamFeed::vix: return "vix";
    case StreamFeed::options: return "options";
  }
  return "unknown";
}

std::optional<StreamFeed> stream_feed_from_id(std::uint8_t id) noexcept {
  if (id >= kStreamFeedCount) return std::nullopt;
  return static_cast<StreamFeed>(id);
}

StreamDayBook::Series& StreamDayBook::series(StreamFeed feed, std::string_view ticker) {
  auto& map = feeds_[static_cast<std::size_t>(feed)];
  auto it = map.find(ticker);
  if (it == map.end()) {
    it = map.emplace(std::string(ticker), Series{}).first;
    it->second.bars.reserve(series_capacity_);
  }
  return it->second;
}

void StreamDayBook::add(StreamFeed feed, std::string_view ticker, const Bar& bar) {
  Series& s = series(feed, ticker);
  s.bars.push_back(bar);
  s.last_ts = std::max(s.last_ts, bar.ts_ms);
  ++added_;
}

void StreamDayBook::add_day(StreamFeed feed, const BarDay& day) {
  Series& s = series(feed, day.ticker);
  s.bars.insert(s.bars.end(), day.bars.begin(), day.bars.end());
  for (const Bar& b : day.bars) s.last_ts = std::max(s.last_ts, b.ts_ms);
  added_ += day.bars.size();
  if (day.contract) set_contract(*day.contract);
}

void StreamDayBook::set_contract(const OptionContract& contract) {
  contracts_.insert_or_assign(contract.ticker, contract);
}

bool StreamDayBook::has_contract(std::string_view ticker) const { return contracts_.find(ticker) != contracts_.end(); }

std::vector<BarDay> StreamDayBook::snapshot(StreamFeed feed) { return collect(feed, false); }

std::vector<BarDay> StreamDayBook::take(StreamFeed feed) { return collect(feed, true); }

std::vector<BarDay> StreamDayBook::collect(StreamFeed feed, bool move_bars) {
  auto& map = feeds_[static_cast<std::size_t>(feed)];
  std::vector<const std::string*> names;
  names.reserve(map.size());
  for (const auto& [name, s] : map) names.push_back(&name);
  std::sort(names.begin(), names.end(), [](const std::string* a, const std::string* b) { return *a < *b; });
  std::vector<BarDay> out;
  out.reserve(names.size());
  for (const std::string* name : names) {
    Series& s = map.find(*name)->second;
    duplicates_ += dedup_keep_last(s.bars);
    if (s.bars.empty()) continue;
    BarDay day;
    day.feed = std::string(feed_name(feed));
    day.ticker = *name;
    day.date = date_;
    day.origin = Origin::ws;
    if (move_bars) {
      s.taken += s.bars.size();
      day.bars = std::move(s.bars);
      s.bars = {};
    } else {
      day.bars = s.bars;
    }
    if (feed == StreamFeed::options)
      if (auto c = contracts_.find(*name); c != contracts_.end()) day.contract = c->second;
    out.push_back(std::move(day));
  }
  return out;
}

std::uint64_t StreamDayBook::rows(StreamFeed feed) const {
  std::uint64_t n = 0;
  for (const auto& [name, s] : feeds_[static_cast<std::size_t>(feed)]) n += s.bars.size() + s.taken;
  return n;
}

std::optional<std::int64_t> StreamDayBook::last_ts(StreamFeed feed, std::string_view ticker) const {
  const auto& map = feeds_[static_cast<std::size_t>(feed)];
  auto it = map.find(ticker);
  if (it == map.end() || it->second.last_ts == INT64_MIN) return std::nullopt;
  return it->second.last_ts;
}

std::optional<std::int64_t> StreamDayBook::last_ts(StreamFeed feed) const {
  std::optional<std::int64_t> best;
  for (const auto& [name, s] : feeds_[static_cast<std::size_t>(feed)])
    if (s.last_ts != INT64_MIN && (!best || s.last_ts > *best)) best = s.last_ts;
  return best;
}

}  // namespace soi
