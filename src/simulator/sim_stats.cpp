#include "simulator/sim_stats.hpp"

#include <fmt/format.h>

#include "simulator/json_writer.hpp"

namespace soi::sim {

std::string_view to_string(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::aggs: return "aggs";
    case Endpoint::aggs_prev: return "aggs_prev";
    case Endpoint::open_close: return "open_close";
    case Endpoint::options_contracts: return "options_contracts";
    case Endpoint::news: return "news";
    case Endpoint::market_status_now: return "market_status_now";
    case Endpoint::market_status_upcoming: return "market_status_upcoming";
    case Endpoint::sim_stats: return "sim_stats";
    case Endpoint::websocket: return "websocket";
    case Endpoint::not_found: return "not_found";
  }
  return "unknown";
}

std::uint64_t SimStats::total_requests() const {
  std::uint64_t total = 0;
  for (const auto& c : requests_) total += c.load();
  return total;
}

std::string SimStats::to_json(const FaultInjector& faults) const {
  JsonWriter w;
  w.begin_object();
  w.field("requests_total", total_requests());
  w.key("requests").begin_object();
  for (std::size_t i = 0; i < kEndpointCount; ++i) w.field(to_string(static_cast<Endpoint>(i)), requests_[i].load());
  w.end_object();
  w.field("unauthorized", unauthorized_.load());
  w.field("bad_requests", bad_requests_.load());
  w.key("faults").begin_object();
  for (std::size_t i = 0; i < kFaultKindCount; ++i) {
    const auto kind = static_cast<FaultKind>(i);
    w.field(to_string(kind), faults.served(kind));
  }
  w.end_object();
  w.key("websocket").begin_object();
  w.field("connections", ws_.connections.load());
  w.field("active", ws_.active.load());
  w.field("auth_success", ws_.auth_success.load());
  w.field("auth_failures", ws_.auth_failures.load());
  w.field("auth_timeouts", ws_.auth_timeouts.load());
  w.field("max_connections", ws_.max_connections.load());
  w.field("frames", ws_.frames.load());
  w.field("events", ws_.events.load());
  w.field("bytes", ws_.bytes.load());
  w.field("slow_consumers", ws_.slow_consumers.load());
  w.end_object();
  w.end_object();
  return w.take();
}

std::string SimStats::summary(const FaultInjector& faults) const {
  std::string out = fmt::format("{} requests", total_requests());
  std::string parts;
  for (std::size_t i = 0; i < kEndpointCount; ++i) {
    if (const auto n = requests_[i].load(); n > 0)
      parts += fmt::format("{}{}={}", parts.empty() ? "" : ", ", to_string(static_cast<Endpoint>(i)), n);
  }
  if (!parts.empty()) out += " (" + parts + ")";
  out += fmt::format(", {} unauthorized, {} bad requests", unauthorized_.load(), bad_requests_.load());
  if (const auto n = ws_.connections.load(); n > 0)
    out += fmt::format(", websocket: {} connections, {} events in {} frames, {} auth failures, {} slow consumers", n,
                       ws_.events.load(), ws_.frames.load(), ws_.auth_failures.load(), ws_.slow_consumers.load());
  std::string served;
  for (std::size_t i = 0; i < kFaultKindCount; ++i) {
    const auto kind = static_cast<FaultKind>(i);
    if (const auto n = faults.served(kind); n > 0)
      served += fmt::format("{}{}={}", served.empty() ? "" : ", ", to_string(kind), n);
  }
  out += served.empty() ? ", no faults" : ", faults: " + served;
  return out;
}

}  // namespace soi::sim
