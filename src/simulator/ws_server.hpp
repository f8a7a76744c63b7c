// The WebSocket half of `soi simulate`: ws://127.0.0.1:<port>/{stocks,options,indices}
// on the REST port. The HTTP server hands every upgrade request to serve(), which
// runs one Beast WebSocket session on the connection's thread until it closes:
// status connected, auth (auth_success / auth_failed / auth_timeout), subscribe /
// unsubscribe (success, auth_required, error), then JSON-array frames of A / AM
// events from a WsFeed following the shared SimClock. Also enforces the
// connections-per-market-and-key limit, the outbound buffer limit
// (slow_consumer) and the ws_* faults. See docs/simulator.md.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "simulator/fault_injector.hpp"
#include "simulator/sim_clock.hpp"
#include "simulator/sim_stats.hpp"
#include "simulator/simulator_options.hpp"
#include "simulator/websocket_upgrade.hpp"
#include "simulator/ws_feed.hpp"

namespace soi::sim {

class WsService {
 public:
  struct Deps {
    const SimulatorOptions& options;
    SimClock& clock;
    WsFeedServices feed;
    SimStats& stats;
    FaultInjector& faults;
  };
  explicit WsService(Deps deps) : deps_(deps) {}

  // Serves one upgraded connection until it closes or the server stops.
  void serve(WebSocketUpgrade& upgrade);

  const Deps& deps() const { return deps_; }
  // Connection slots per (market, key); false when the limit is reached.
  bool acquire_slot(WsMarket market, const std::string& key);
  void release_slot(WsMarket market, const std::string& key);

 private:
  Deps deps_;
  std::mutex mutex_;
  std::map<std::pair<int, std::string>, int> slots_;
};

}  // namespace soi::sim
