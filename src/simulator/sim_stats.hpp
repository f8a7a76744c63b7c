// Request counters of a running simulator, served at /_sim/stats and printed
// at shutdown. Lock-free: every connection thread bumps them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "simulator/fault_injector.hpp"

namespace soi::sim {

enum class Endpoint {
  aggs,
  aggs_prev,
  open_close,
  options_contracts,
  news,
  market_status_now,
  market_status_upcoming,
  sim_stats,
  websocket,
  not_found,
};
inline constexpr std::size_t kEndpointCount = 10;

std::string_view to_string(Endpoint endpoint);

// WebSocket feed counters (all connections, all markets).
struct WsCounters {
  std::atomic<std::uint64_t> connections{0};      // upgrades accepted
  std::atomic<std::uint64_t> active{0};           // connections open now
  std::atomic<std::uint64_t> auth_success{0};
  std::atomic<std::uint64_t> auth_failures{0};    // wrong/missing key or ws_refuse_auth
  std::atomic<std::uint64_t> auth_timeouts{0};
  std::atomic<std::uint64_t> max_connections{0};  // refused over the per-market, per-key limit (or by fault)
  std::atomic<std::uint64_t> frames{0};           // server frames sent (status and data)
  std::atomic<std::uint64_t> events{0};           // data events in those frames
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::uint64_t> slow_consumers{0};   // connections closed for not reading fast enough

  static void add(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }
};

class SimStats {
 public:
  void count_request(Endpoint endpoint) { bump(requests_[static_cast<std::size_t>(endpoint)]); }
  void count_unauthorized() { bump(unauthorized_); }
  void count_bad_request() { bump(bad_requests_); }

  std::uint64_t requests(Endpoint endpoint) const { return requests_[static_cast<std::size_t>(endpoint)].load(); }
  std::uint64_t total_requests() const;
  std::uint64_t unauthorized() const { return unauthorized_.load(); }

  WsCounters& ws() { return ws_; }
  const WsCounters& ws() const { return ws_; }

  // {"requests_total":N,"requests":{...},"unauthorized":N,"bad_requests":N,"faults":{...},
  //  "websocket":{"connections":N,"active":N,...}}
  std::string to_json(const FaultInjector& faults) const;
  // One line for the shutdown summary.
  std::string summary(const FaultInjector& faults) const;

 private:
  static void bump(std::atomic<std::uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); }

  std::array<std::atomic<std::uint64_t>, kEndpointCount> requests_{};
  std::atomic<std::uint64_t> unauthorized_{0};
  std::atomic<std::uint64_t> bad_requests_{0};
  WsCounters ws_;
};

}  // namespace soi::sim
