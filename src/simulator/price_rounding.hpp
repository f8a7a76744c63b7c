// How the simulator rounds what it serves: prices to cents, as an exchange
// quotes them, and averages (vwap) to four decimals, as the service sends them.
// Rounding through the integer count of cents yields the nearest double to the
// decimal, so JSON prints "598.62" rather than "598.6199999".
#pragma once

#include <cmath>

namespace soi::sim {

inline double round_cents(double x) { return std::round(x * 100.0) / 100.0; }
inline double round_4(double x) { return std::round(x * 10000.0) / 10000.0; }

}  // namespace soi::sim
