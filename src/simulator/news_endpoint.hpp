// GET /v2/reference/news over the synthetic news stream. Pagination is keyset
// based (the cursor remembers the last article served), so articles appearing
// while a client pages through never shift or duplicate what it receives.
#pragma once

#include "simulator/endpoint_context.hpp"

namespace soi::sim {

SimResponse handle_news(const SimServices& services, const RequestScope& scope);

}  // namespace soi::sim
