// Ticker classification and OCC option symbols ("O:SPY250117C00590000").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "utils/time_util.hpp"

namespace soi::sim {

enum class TickerKind { stock, index, option };

inline TickerKind classify_ticker(std::string_view ticker) {
  if (ticker.starts_with("I:")) return TickerKind::index;
  if (ticker.starts_with("O:")) return TickerKind::option;
  return TickerKind::stock;
}

// Folder under <data>/raw that holds a ticker's bars.
inline std::string_view feed_of(std::string_view ticker) {
  switch (classify_ticker(ticker)) {
    case TickerKind::index: return "vix";
    case TickerKind::option: return "options";
    case TickerKind::stock: break;
  }
  return "spy";
}

struct OccContract {
  std::string root;          // "SPY"
  Date expiration;
  bool is_call = true;
  std::int64_t strike_milli = 0;  // strike * 1000

  double strike() const { return static_cast<double>(strike_milli) / 1000.0; }
};

// "O:" + root (1-6 chars) + YYMMDD + C|P + 8 digits; nullopt when malformed.
std::optional<OccContract> parse_occ_ticker(std::string_view ticker);
std::string format_occ_ticker(const OccContract& contract);

}  // namespace soi::sim
