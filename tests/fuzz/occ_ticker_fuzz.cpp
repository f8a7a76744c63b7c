// OCC option tickers ("O:SPY250117C00590000"): a ticker that parses formats back
// to one that parses to the same contract.
#include <cstdint>

#include "fuzz_support.hpp"
#include "simulator/occ_ticker.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view ticker = soi::fuzz::as_text(data, size);
  soi::sim::classify_ticker(ticker);
  soi::sim::feed_of(ticker);
  const auto contract = soi::sim::parse_occ_ticker(ticker);
  if (!contract) return 0;
  soi::fuzz::check(contract->expiration.ok() && contract->strike_milli >= 0, "occ: parsed an invalid contract");
  const std::string formatted = soi::sim::format_occ_ticker(*contract);
  const auto again = soi::sim::parse_occ_ticker(formatted);
  soi::fuzz::check(again.has_value(), "occ: a formatted ticker does not parse");
  soi::fuzz::check(again->root == contract->root && again->expiration == contract->expiration &&
                       again->is_call == contract->is_call && again->strike_milli == contract->strike_milli,
                   "occ: format/parse round trip changed the contract");
  return 0;
}
