// Day-to-day price path of one synthetic underlying: the regular-session open and
// close of every trading day plus the VIX level at the open. It is a
// deterministic random walk anchored at kAnchorDate (open = anchor_open) and
// computed outward one trading day at a time, so any date's values depend only
// on the seed, never on which dates were asked for first.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "utils/market_calendar.hpp"
#include "utils/time_util.hpp"

namespace soi::sim {

inline constexpr Date kAnchorDate{date::year{2020}, date::month{1}, date::day{2}};
// The simulator serves no data outside this range (guards runaway walks).
inline constexpr Date kFirstSimDate{date::year{1990}, date::month{1}, date::day{1}};
inline constexpr Date kLastSimDate{date::year{2100}, date::month{12}, date::day{31}};

struct DailyState {
  Date date;
  double open = 0;        // regular-session open
  double close = 0;       // regular-session close
  double prev_close = 0;  // previous trading day's close
  double vix_open = 0;    // VIX level at the open
  double daily_vol = 0;   // standard deviation of the day's log return
};

struct WalkParams {
  std::uint64_t seed = 0;
  std::string key;          // ticker the walk belongs to (mixed into every draw)
  double anchor_open = 0;   // open on kAnchorDate, and the level prices revert to
  double vix_level = 16;    // long-run VIX level
  double vol_scale = 1.0;   // the underlying's volatility relative to the VIX-implied one
};

class DailyWalk {
 public:
  explicit DailyWalk(WalkParams params);

  // nullopt when `d` is not a trading day or lies outside the simulated range. Thread-safe.
  std::optional<DailyState> day(Date d);

 private:
  struct Core {
    double open = 0, close = 0, vix_open = 0, daily_vol = 0;
  };
  Core make_anchor() const;
  Core forward(const Core& prev, Date next) const;
  Core backward(const Core& next, Date next_date, Date prev) const;
  double draw(Date d, std::uint64_t tag) const;  // standard normal for (day, tag)
  double vol_from_vix(double vix) const;
  double clamp_vix(double vix) const;
  void cover(Date from, Date to);  // extends the computed range (mutex held)

  WalkParams params_;
  MarketCalendar calendar_;
  std::mutex mutex_;
  std::map<date::sys_days, Core> cores_;  // contiguous trading days around the anchor
};

}  // namespace soi::sim
