// Pull-based aggregates download: one page in memory at a time, following
// next_url until the last page. A page whose body cannot be parsed (truncated,
// malformed) is fetched again within the retry budget before the day fails.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "data_sources/aggs_parser.hpp"
#include "data_sources/rest_client.hpp"
#include "utils/ordered_turns.hpp"

namespace soi {

struct AggregatesRequest {
  std::string ticker;          // SPY, I:VIX, O:SPY...
  std::string timespan = "second";
  BarWindow window;            // [from, to) in UTC ms
  int page_limit = 50000;
  bool adjusted = true;        // not sent for indices
  AggsShape shape = AggsShape::equity;
};

// The first page's path: /v2/aggs/ticker/T/range/1/second/<from ms>/<to ms>?...
std::string aggregates_path(const AggregatesRequest& request);

// Parsers shared by the streams in flight: each page is parsed in a turn taken
// with the stream's key (the network wait before it is not), with the parser
// of the turn's seat. Streams then parse in key order, no more at once than
// there are seats, and a parser's buffers serve every day rather than one.
struct SeatedAggsParsers {
  OrderedTurns& turns;
  std::span<AggsParser> by_seat;  // one per seat of `turns` (at least turns.permits())
};

class AggregatesPageStream {
 public:
  AggregatesPageStream(RestClient& client, AggsParser& parser, const AggregatesRequest& request, ErrorContext context,
                       int max_parse_attempts);
  // Parses in turns: see SeatedAggsParsers (kept by value: a reference and a span).
  // Throws std::invalid_argument when there are fewer parsers than seats.
  AggregatesPageStream(RestClient& client, const SeatedAggsParsers& parsers, std::int64_t turn_key,
                       const AggregatesRequest& request, ErrorContext context, int max_parse_attempts);

  // Fills `page` with the next page; false when the previous page was the last.
  bool next(AggsPage& page);

  std::uint64_t pages() const { return pages_; }
  std::uint64_t parse_retries() const { return parse_retries_; }
  double last_latency_seconds() const { return last_latency_; }

 private:
  void parse(std::string_view body, AggsPage& page);

  RestClient& client_;
  AggsParser* parser_ = nullptr;
  std::optional<SeatedAggsParsers> seated_;
  std::int64_t turn_key_ = 0;
  BarWindow window_;
  ErrorContext context_;
  int max_parse_attempts_;
  std::string next_path_;
  bool done_ = false;
  std::uint64_t pages_ = 0;
  std::uint64_t parse_retries_ = 0;
  double last_latency_ = 0;
};

}  // namespace soi
