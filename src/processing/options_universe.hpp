// The day's options universe: from the listed contracts, keep the selected
// expirations and the strikes inside +/-strike_range_pct of the underlying's
// open (edges inclusive). Pure functions: the orchestrator fetches, these decide.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "processing/records.hpp"

namespace soi {

struct StrikeBand {
  double low = 0;   // open * (1 - pct/100)
  double high = 0;  // open * (1 + pct/100)
  bool contains(double strike) const;  // inclusive, tolerant to floating-point noise at the edges
};

StrikeBand strike_band(double open, double pct);

// The latest expiration the selection can reach on day `day`: day + max_days_to_expiry
// in max_days mode, nullopt in count mode (the N nearest may lie anywhere ahead).
std::optional<Date> expiration_limit(const OptionsSourceConfig& config, Date day);

// The first-page path of the contracts listing for `day` (as_of = day; contracts
// expiring on day are unexpired as of day, so they are listed):
// /v3/reference/options/contracts?underlying_ticker=SPY&as_of=D&expiration_date.gte=D
// [&expiration_date.lte=D+max_days]&strike_price.gte=L&strike_price.lte=H&sort=ticker&order=asc&limit=N.
// The strike bounds sent are rounded outwards to the cent; select_universe()
// applies the exact band again.
std::string contracts_path(const OptionsSourceConfig& config, Date day, const StrikeBand& band);

// Builds the universe from `listed` (any order, may hold contracts outside the
// band or of other underlyings/expirations). Throws SoiError(validation) with
// source "options" and the date when no contract of `config.underlying` lies in
// the band on a selectable expiration; SoiError(config) on a bad expiry_selection.
OptionsUniverse select_universe(const std::vector<OptionContract>& listed, const OptionsSourceConfig& config,
                                Date day, double open, OpenSource source);

// Adds the contracts of `more` that `universe` does not track yet (by ticker),
// keeping it sorted by ticker; returns the ones added, in `more`'s order. What
// a re-centre and a backfill keeping a day's tracked contracts share.
std::vector<OptionContract> add_contracts(OptionsUniverse& universe, std::vector<OptionContract> more);

}  // namespace soi
