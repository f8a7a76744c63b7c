// The latent second-by-second price of one underlying on one trading day, from
// 04:00 New York to the end of after-hours, plus the VIX level during the
// regular session. Bars of the stock, its options and the VIX are all cut from
// this one path, which is what makes them move together.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "simulator/daily_walk.hpp"
#include "utils/market_calendar.hpp"

namespace soi::sim {

inline constexpr int kExtendedOpenMinute = 4 * 60;    // 04:00 New York
inline constexpr int kExtendedCloseMinute = 20 * 60;  // 20:00 New York
inline constexpr int kAfterHoursMinutes = 4 * 60;     // after-hours length (17:00 end on early closes)

struct DayPath {
  DailyState daily;
  std::int64_t start_ms = 0;  // UTC ms of 04:00 New York
  int open_index = 0;         // seconds from start to the regular open
  int close_index = 0;        // seconds from start to the regular close (exclusive)
  int end_index = 0;          // seconds from start to the end of after-hours (exclusive)
  std::vector<double> price;  // price at every second boundary, size end_index + 1
  std::vector<double> vix;    // VIX at boundaries open_index..close_index

  std::int64_t second_ms(int index) const { return start_ms + static_cast<std::int64_t>(index) * 1000; }
  double vix_at(int index) const { return vix[static_cast<std::size_t>(index - open_index)]; }
  // Per-second volatility of the regular session.
  double second_vol() const;
};

DayPath build_day_path(std::uint64_t seed, std::string_view key, const DailyState& daily, const SessionHours& hours);

}  // namespace soi::sim
