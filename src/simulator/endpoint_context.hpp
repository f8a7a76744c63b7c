// What every endpoint handler receives: the shared services of the simulator
// and the scope of the one request being answered.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "config/config.hpp"
#include "simulator/bar_provider.hpp"
#include "simulator/news_generator.hpp"
#include "simulator/sim_http.hpp"
#include "simulator/synthetic_market.hpp"
#include "utils/market_calendar.hpp"

namespace soi::sim {

// Long-lived, shared by all connection threads (each member is thread-safe).
struct SimServices {
  const SimulatorConfig& config;
  const MarketCalendar& calendar;
  BarProvider& bars;         // synthetic or replay
  SyntheticMarket& market;   // always synthetic: contracts chain, news sentiment
  const NewsGenerator& news;
};

struct RequestScope {
  const SimRequest& request;
  std::string request_id;
  std::string base_url;       // "http://<Host header>", prefix of every next_url
  std::int64_t now_ms = 0;    // the simulator's clock: no data is served from the future
  bool new_field = false;     // fault: add "zz_sim_new_field" to envelope and results
  bool bad_record = false;    // fault: corrupt one bar (aggregates) or one article (news) per page
};

// Thrown by endpoints for invalid parameters; the router answers 400 with the text.
class BadRequest : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace soi::sim
