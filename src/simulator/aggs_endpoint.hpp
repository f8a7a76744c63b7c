// GET /v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}
#pragma once

#include <string>
#include <vector>

#include "simulator/endpoint_context.hpp"

namespace soi::sim {

// segments: the decoded path split on '/', i.e. {"v2","aggs","ticker",T,"range",M,S,from,to}.
SimResponse handle_aggs_range(const SimServices& services, const RequestScope& scope,
                              const std::vector<std::string>& segments);

}  // namespace soi::sim
