// Daily summaries cut from the per-second day: GET /v1/open-close/{ticker}/{date}
// and GET /v2/aggs/ticker/{ticker}/prev. Both use the regular session only.
#pragma once

#include <string>

#include "simulator/endpoint_context.hpp"

namespace soi::sim {

SimResponse handle_open_close(const SimServices& services, const RequestScope& scope, const std::string& ticker,
                              const std::string& date_text);

SimResponse handle_prev(const SimServices& services, const RequestScope& scope, const std::string& ticker);

}  // namespace soi::sim
