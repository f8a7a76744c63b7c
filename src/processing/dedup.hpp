// Duplicate handling on (ticker, ts): the service re-sends corrected bars, so
// when the same bar arrives twice the later arrival wins.
#pragma once

#include <cstddef>
#include <vector>

#include "processing/records.hpp"

namespace soi {

// Sorts bars by ts (stable, so arrival order is kept among equal ts) and keeps
// the last arrival of each ts. Returns how many duplicates were removed.
std::size_t dedup_keep_last(std::vector<Bar>& bars);

}  // namespace soi
