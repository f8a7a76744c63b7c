// The simulator's request decoding: the input as a raw HTTP request (Beast's
// parser with the server's limits, then target splitting and query decoding),
// its parameters through the endpoints' validators and cursor decoding; and the
// input as a query string, a path and a cursor on its own. Round trips must hold:
// decode(encode(x)) == x for percent-encoding, base64 and query strings.
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "simulator/cursor_codec.hpp"
#include "simulator/endpoint_context.hpp"
#include "simulator/http_request.hpp"
#include "simulator/query_params.hpp"
#include "simulator/request_params.hpp"

namespace {

using soi::sim::QueryParams;

void validate(const QueryParams& params) {
  using soi::sim::BadRequest;
  try { soi::sim::parse_limit(params, 5000, 50000); } catch (const BadRequest&) {}
  try { soi::sim::parse_bool(params, "adjusted", true); } catch (const BadRequest&) {}
  try { soi::sim::parse_choice(params, "sort", "asc", {"asc", "desc"}); } catch (const BadRequest&) {}
  try {
    soi::sim::RangeFilter<soi::Date>::parse(params, "expiration_date", soi::sim::parse_date_value);
  } catch (const BadRequest&) {}
  try {
    soi::sim::RangeFilter<double>::parse(params, "strike_price", soi::sim::parse_number_value);
  } catch (const BadRequest&) {}
  if (auto cursor = params.get("cursor")) soi::sim::decode_cursor(*cursor);
}

void check_round_trips(std::string_view text) {
  using namespace soi::sim;
  soi::fuzz::check(percent_decode(percent_encode(text), false) == text, "percent: encode/decode round trip");
  soi::fuzz::check(percent_decode(percent_encode_segment(text), false) == text, "percent: segment round trip");
  const auto decoded = base64_decode(base64_encode(text));
  soi::fuzz::check(decoded && *decoded == text, "base64: encode/decode round trip");
  const QueryParams params = QueryParams::parse(text);
  soi::fuzz::check(QueryParams::parse(params.encode()).items() == params.items(), "query: encode/parse round trip");
  validate(params);
  if (auto cursor = decode_cursor(text)) validate(*cursor);
  const SplitTarget target = split_target(text);
  split_path(target.path);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = soi::fuzz::as_text(data, size);
  if (const auto request = soi::sim::parse_sim_request(text)) {
    validate(request->params);
    soi::sim::split_path(request->path);
  }
  check_round_trips(text);
  return 0;
}
