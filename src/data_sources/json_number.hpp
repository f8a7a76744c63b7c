// Whole numbers the wire may send as doubles ("t": 1.7373e12): the one conversion
// the REST and WebSocket parsers share.
#pragma once

#include <cstdint>

namespace soi {

// `d` as an int64 when it is a whole number an int64 can hold; false for fractions,
// NaN, infinities and anything outside [-2^63, 2^63) (casting those is undefined).
inline bool whole_int64(double d, std::int64_t& out) {
  if (!(d >= -0x1p63 && d < 0x1p63)) return false;
  const auto i = static_cast<std::int64_t>(d);
  if (static_cast<double>(i) != d) return false;
  out = i;
  return true;
}

}  // namespace soi
