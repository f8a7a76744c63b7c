// The REST side of the simulator, independent of sockets: authenticates a
// request, lets the fault injector have its say, dispatches to the endpoint and
// counts everything. One instance serves all connection threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "simulator/endpoint_context.hpp"
#include "simulator/fault_injector.hpp"
#include "simulator/news_generator.hpp"
#include "simulator/sim_http.hpp"
#include "simulator/sim_stats.hpp"
#include "simulator/simulator_options.hpp"
#include "simulator/synthetic_market.hpp"
#include "utils/market_calendar.hpp"

namespace soi::sim {

class RestRouter {
 public:
  // Validates the options (fault specs, data mode, replay dir, prices); throws
  // SoiError(config) with a message meant for the user.
  explicit RestRouter(SimulatorOptions options);
  ~RestRouter();

  SimResponse handle(const SimRequest& request);

  // Counts an answer given outside handle() (e.g. a refused WebSocket upgrade).
  void count(Endpoint endpoint) { stats_.count_request(endpoint); }

  const SimStats& stats() const { return stats_; }
  const FaultInjector& faults() const { return *faults_; }
  std::int64_t now_ms() const;

  // Shared services for the WebSocket feed (thread-safe, like the endpoints' use).
  SimStats& stats() { return stats_; }
  FaultInjector& faults() { return *faults_; }
  BarProvider& bars() { return replay_ ? *replay_ : static_cast<BarProvider&>(*market_); }
  SyntheticMarket& market() { return *market_; }
  const MarketCalendar& calendar() const { return calendar_; }
  const SimulatorOptions& options() const { return options_; }

 private:
  SimResponse dispatch(Endpoint endpoint, const std::vector<std::string>& segments, RequestScope& scope);
  // The API key of the request, "" when none was sent.
  static std::string request_key(const SimRequest& request);

  SimulatorOptions options_;
  MarketCalendar calendar_;
  std::unique_ptr<SyntheticMarket> market_;
  std::unique_ptr<BarProvider> replay_;  // set in replay mode
  std::unique_ptr<NewsGenerator> news_;
  std::unique_ptr<FaultInjector> faults_;
  SimStats stats_;
};

// All fault specs of a config parsed (throws SoiError(config) on the first bad one).
std::vector<FaultSpec> parse_fault_specs(const std::vector<std::string>& specs);

}  // namespace soi::sim
