// Aggregates page parser (/v2/aggs): any body gives bars that pass the data rules,
// rejects, or a SoiError; never a crash. Both shapes (equity, index) see every input.
#include <cstdint>
#include <limits>

#include <simdjson.h>

#include "data_sources/aggs_parser.hpp"
#include "fuzz_support.hpp"
#include "utils/error.hpp"

namespace {

void parse_one(soi::AggsParser& parser, const simdjson::padded_string& body, const soi::BarWindow& window) {
  soi::AggsPage page;
  try {
    parser.parse(std::string_view(body.data(), body.size()), window, page);
  } catch (const soi::SoiError&) {
    return;
  }
  for (const soi::Bar& bar : page.bars) soi::fuzz::check(soi::validate_bar(bar, window) == nullptr, "aggs: kept bar breaks a data rule");
  soi::fuzz::check(page.bars.size() + page.rejects.size() <= page.results_seen, "aggs: more records than results");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Reused across inputs, as RestClient reuses one parser for every page.
  static soi::AggsParser equity(soi::AggsShape::equity);
  static soi::AggsParser index(soi::AggsShape::index);
  const simdjson::padded_string body(reinterpret_cast<const char*>(data), size);
  // A whole trading day of minutes and the widest window (every timestamp a second).
  parse_one(equity, body, soi::BarWindow{1704205800000, 1704229200000, 60000});
  parse_one(index, body, soi::BarWindow{std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(), 1000});
  return 0;
}
