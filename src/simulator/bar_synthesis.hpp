// Cuts per-second bars out of a DayPath the way the real feed looks: stocks trade
// in extended hours with many empty seconds, indices tick every second of the
// regular session, options trade sparsely (more often near the money). Every bar
// satisfies low <= open, close <= high, volume > 0, vwap in [low, high], n >= 1.
#pragma once

#include <cstdint>
#include <vector>

#include "processing/records.hpp"
#include "simulator/intraday_path.hpp"
#include "simulator/occ_ticker.hpp"

namespace soi::sim {

// Stock/ETF bars over the extended session (04:00 to the end of after-hours).
std::vector<Bar> stock_bars(const DayPath& path, std::uint64_t stream_seed);

// Index bars for the VIX carried by the path (regular session, every second).
std::vector<Bar> vix_bars(const DayPath& path, std::uint64_t stream_seed);

// Index bars that track the path's price times `scale` (regular session, every second).
std::vector<Bar> index_bars(const DayPath& path, double scale, std::uint64_t stream_seed);

// Option bars priced with Black-Scholes on the underlying path (regular session).
std::vector<Bar> option_bars(const DayPath& underlying, const OccContract& contract, std::uint64_t stream_seed);

}  // namespace soi::sim
