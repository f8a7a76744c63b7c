// One window a stream connection missed, to be fetched over REST.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "processing/stream_day_book.hpp"

namespace soi {

struct GapRequest {
  StreamFeed feed;                   // the feed's position in the FeedRegistry
  std::string market;                // "stocks", "options", "indices" (for the log)
  std::vector<std::string> tickers;
  std::int64_t start_ms = 0;         // inclusive: the last second seen is fetched again
  std::int64_t end_ms = 0;           // exclusive: the first second received after the reconnect
  std::string reason;                // "start", "restart", "reconnect", "close", "recenter", "unfinished"
};

}  // namespace soi
