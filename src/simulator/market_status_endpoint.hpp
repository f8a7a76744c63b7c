// GET /v1/marketstatus/now and GET /v1/marketstatus/upcoming: bare JSON (no
// status/request_id envelope), from the simulator clock and the NYSE calendar.
#pragma once

#include "simulator/endpoint_context.hpp"

namespace soi::sim {

SimResponse handle_market_status_now(const SimServices& services, const RequestScope& scope);
SimResponse handle_market_status_upcoming(const SimServices& services, const RequestScope& scope);

}  // namespace soi::sim
