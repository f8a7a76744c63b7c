// GET /v3/reference/options/contracts: the SPY option chain as of a date.
// Synthetic chain for as_of D: daily expirations on the next 5 trading days from
// D plus the monthly (third-Friday) expirations of D's month (when not past) and
// of the next two months, strikes every 1 USD
// within +-15% of that day's SPY open, calls and puts. In replay mode the chain
// is the set of option tickers present in the replayed data for D.
#pragma once

#include <string>
#include <vector>

#include "simulator/endpoint_context.hpp"
#include "simulator/occ_ticker.hpp"

namespace soi::sim {

SimResponse handle_options_contracts(const SimServices& services, const RequestScope& scope);

// The synthetic chain (exposed for tests): unexpired contracts as of `as_of`, or
// with expired = true the daily contracts that expired in the 10 trading days before it.
std::vector<OccContract> synthetic_chain(SyntheticMarket& market, const MarketCalendar& calendar, Date as_of,
                                         bool expired);

}  // namespace soi::sim
