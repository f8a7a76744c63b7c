// Options contracts parser (/v3/reference/options/contracts) and the open-close
// answer: contracts kept are call/put with an O: ticker and a positive strike.
#include <cmath>
#include <cstdint>

#include <simdjson.h>

#include "data_sources/contracts_parser.hpp"
#include "fuzz_support.hpp"
#include "utils/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static soi::ContractsParser parser;
  const simdjson::padded_string body(reinterpret_cast<const char*>(data), size);
  const std::string_view text(body.data(), body.size());
  soi::ContractsPage page;
  try {
    parser.parse(text, page);
    for (const soi::OptionContract& c : page.contracts) {
      soi::fuzz::check(c.ticker.starts_with("O:"), "contracts: kept a non-option ticker");
      soi::fuzz::check(std::isfinite(c.strike) && c.strike > 0, "contracts: kept a non-positive strike");
    }
    soi::fuzz::check(page.contracts.size() + page.rejects.size() + page.skipped_other <= page.results_seen,
                     "contracts: more records than results");
  } catch (const soi::SoiError&) {
  }
  if (const auto open = soi::parse_open_close_open(text))
    soi::fuzz::check(std::isfinite(*open) && *open > 0, "open-close: open not positive and finite");
  return 0;
}
