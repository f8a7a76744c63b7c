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

class SimStats {
 public:
  void count_request(Endpoint endpoint) { bump(requests_[static_cast<std::size_t>(endpoint)]); }
  void count_unauthorized() { bump(unauthorized_); }
  void count_bad_request() { bump(bad_requests_); }

  std::uint64_t requests(Endpoint endpoint) const { return requests_[static_cast<std::size_t>(endpoint)].load(); }
  std::uint64_t total_requests() const;
  std::uint64_t unauthorized() const { return unauthorized_.load(); }

  // {"requests_total":N,"requests":{...},"unauthorized":N,"bad_requests":N,"faults":{...}}
  std::string to_json(const FaultInjector& faults) const;
  // One line for the shutdown summary.
  std::string summary(const FaultInjector& faults) const;

 private:
  static void bump(std::atomic<std::uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); }

  std::array<std::atomic<std::uint64_t>, kEndpointCount> requests_{};
  std::atomic<std::uint64_t> unauthorized_{0};
  std::atomic<std::uint64_t> bad_requests_{0};
};

}  // namespace soi::sim
