// Where the simulator's bars come from. Endpoints only see this interface, so
// synthetic generation and Parquet replay serve identical wire shapes.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "processing/records.hpp"

namespace soi::sim {

// One ticker's per-second bars for one New York trading day, sorted by ts_ms.
// Shared and immutable: the cache and any number of in-flight pages hold it.
using DayBars = std::shared_ptr<const std::vector<Bar>>;

class BarProvider {
 public:
  virtual ~BarProvider() = default;

  // Per-second bars of `ticker` on New York date `d` (empty when none). Thread-safe.
  virtual DayBars day_bars(std::string_view ticker, Date d) = 0;

  // Option tickers known to trade on `d`, or nullopt when the provider has no
  // listing of its own (the synthetic chain is used instead).
  virtual std::optional<std::vector<std::string>> listed_options(Date /*d*/) { return std::nullopt; }
};

inline DayBars empty_day() {
  static const DayBars kEmpty = std::make_shared<const std::vector<Bar>>();
  return kEmpty;
}

}  // namespace soi::sim
