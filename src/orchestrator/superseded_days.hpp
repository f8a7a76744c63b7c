// Days a REST backfill replaced while the stream's write-ahead log still held
// records of them (a stream killed, or whose last commit failed, before the
// backfill): on the next replay, a streamed record of such a (feed, day) that
// was received before the backfill started is older than what the day now
// holds, so it is skipped and the backfill's values stay (REST has, e.g.,
// transactions, which the stream does not carry). Records received after the
// backfill started are replayed as usual.
//
// data/state/stream/superseded.txt, one line per (feed, day):
//   <feed> <YYYY-MM-DD> <backfill start, ms since the epoch UTC>
// rewritten atomically; days more than kKeepDays before the newest are dropped
// (the log never holds records that old).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "utils/time_util.hpp"

namespace soi {

// <data_dir>/state/stream/superseded.txt
std::filesystem::path superseded_days_file(const std::filesystem::path& data_dir);

class SupersededDays {
 public:
  static constexpr int kKeepDays = 31;

  // Loads `file` (missing: nothing is superseded; malformed lines are ignored).
  explicit SupersededDays(std::filesystem::path file);

  // `feed`'s `days` were replaced by a backfill that started at started_ms: one
  // rewrite of the file for all of them (a year is 252 days).
  // Throws SoiError(storage) when the file cannot be written.
  void mark(std::string_view feed, std::span<const Date> days, std::int64_t started_ms);
  void mark(std::string_view feed, Date day, std::int64_t started_ms) { mark(feed, std::span(&day, 1), started_ms); }

  // A record of `feed`'s `day` received at received_ms predates a backfill of that day.
  bool superseded(std::string_view feed, Date day, std::int64_t received_ms) const;

  std::size_t size() const noexcept { return marks_.size(); }

 private:
  std::filesystem::path file_;
  std::map<std::pair<std::string, int>, std::int64_t> marks_;  // (feed, days since epoch) -> started_ms
};

}  // namespace soi
