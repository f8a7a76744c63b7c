// The simulator's HTTP/1.1 server: 127.0.0.1 only, keep-alive, one thread per
// connection plus an accept thread. WebSocket upgrades on the same port go to
// the WebSocket feed (ws_server.hpp). Usable in-process:
//   soi::sim::SimulatorServer server(options);
//   server.start();                 // binds, writes the port file, serves
//   auto url = server.base_url();   // "http://127.0.0.1:<port>"
//   server.stop();                  // closes the listener and every connection
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "simulator/rest_router.hpp"
#include "simulator/sim_clock.hpp"
#include "simulator/simulator_options.hpp"

namespace soi::sim {

struct WebSocketUpgrade;  // simulator/websocket_upgrade.hpp
using WebSocketHandler = std::function<void(WebSocketUpgrade&)>;

class SimulatorServer {
 public:
  // Validates the options; throws SoiError(config) (bad fault spec, replay dir, ...).
  explicit SimulatorServer(SimulatorOptions options);
  ~SimulatorServer();  // stops
  SimulatorServer(const SimulatorServer&) = delete;
  SimulatorServer& operator=(const SimulatorServer&) = delete;

  // Binds 127.0.0.1:<port> and starts serving; throws SoiError(network) when the
  // port cannot be bound, SoiError(storage) when the port file cannot be written.
  void start();
  // Idempotent. Wakes blocked reads and slow-fault waits, joins every thread.
  void stop();

  int port() const;               // the bound port (after start)
  std::string base_url() const;   // "http://127.0.0.1:<port>"
  const RestRouter& router() const;
  std::string stats_summary() const;
  // The simulated clock shared by REST "now" and the WebSocket feed.
  SimClock& clock();

  // WebSocket upgrades on /stocks, /options, /indices are served by the
  // built-in feed (ws_server.hpp); this replaces it (set before start()).
  void set_websocket_handler(WebSocketHandler handler);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace soi::sim
