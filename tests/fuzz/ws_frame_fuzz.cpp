// WebSocket frame parser: never throws; every aggregate kept passes the stream's
// data rules. One parser serves all inputs, as one serves a connection, and both
// entry points (padded and unpadded text) see every frame.
#include <cstdint>
#include <string>

#include "data_sources/ws_event_parser.hpp"
#include "fuzz_support.hpp"

namespace {

void check_frame(const soi::WsFrame& frame) {
  for (const soi::WsAggEvent& e : frame.aggs)
    soi::fuzz::check(soi::validate_ws_agg(e) == nullptr, "ws: kept aggregate breaks a data rule");
  soi::fuzz::check(frame.aggs.size() + frame.rejects.size() <= frame.events_seen + 1,
                   "ws: more records than events");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static soi::WsEventParser parser;
  static soi::WsFrame frame;
  const std::string_view text = soi::fuzz::as_text(data, size);
  frame.clear();
  parser.parse(text, frame);
  check_frame(frame);
  std::string padded(text);
  padded.reserve(padded.size() + simdjson::SIMDJSON_PADDING);
  frame.clear();
  parser.parse(simdjson::padded_string_view(padded), frame);
  check_frame(frame);
  return 0;
}
