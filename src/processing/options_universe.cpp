#include "processing/options_universe.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "utils/error.hpp"

namespace soi {
namespace {

void sort_by_ticker(std::vector<OptionContract>& contracts) {
  std::sort(contracts.begin(), contracts.end(),
            [](const OptionContract& a, const OptionContract& b) { return a.ticker < b.ticker; });
}

}  // namespace

bool StrikeBand::contains(double strike) const {
  // open * 0.99 may come out as 494.99999999999994 for open = 500: a strike of
  // exactly 495 is on the edge and belongs to the band.
  const double eps_low = 1e-9 * std::max(1.0, std::abs(low));
  const double eps_high = 1e-9 * std::max(1.0, std::abs(high));
  return strike >= low - eps_low && strike <= high + eps_high;
}

StrikeBand strike_band(double open, double pct) { return StrikeBand{open * (1.0 - pct / 100.0), open * (1.0 + pct / 100.0)}; }

std::optional<Date> expiration_limit(const OptionsSourceConfig& config, Date day) {
  if (config.expiry_selection == "max_days") return add_days(day, std::max(0, config.max_days_to_expiry));
  return std::nullopt;
}

std::string contracts_path(const OptionsSourceConfig& config, Date day, const StrikeBand& band) {
  const std::string d = format_date(day);
  std::string path = fmt::format("/v3/reference/options/contracts?underlying_ticker={}&as_of={}&expiration_date.gte={}",
                                 config.underlying, d, d);
  if (const auto limit = expiration_limit(config, day)) path += "&expiration_date.lte=" + format_date(*limit);
  // Outwards to the cent (minus/plus a hair) so the server never cuts a strike on the edge.
  const double low = std::floor(band.low * 100.0 - 1e-6) / 100.0;
  const double high = std::ceil(band.high * 100.0 + 1e-6) / 100.0;
  path += fmt::format("&strike_price.gte={:.2f}&strike_price.lte={:.2f}&sort=ticker&order=asc&limit={}",
                      std::max(0.0, low), high, config.contracts_page_limit);
  return path;
}

OptionsUniverse select_universe(const std::vector<OptionContract>& listed, const OptionsSourceConfig& config,
                                Date day, double open, OpenSource source) {
  const ErrorContext context{"options", config.underlying, format_date(day), ""};
  if (config.expiry_selection != "count" && config.expiry_selection != "max_days")
    throw SoiError(ErrorCategory::config,
                   "sources.options.expiry_selection must be count|max_days, got '" + config.expiry_selection + "'",
                   context);
  if (!(open > 0) || !std::isfinite(open))
    throw SoiError(ErrorCategory::validation, fmt::format("opening price {} is not a positive price", open), context);

  OptionsUniverse u;
  u.date = day;
  u.underlying = config.underlying;
  u.open = open;
  u.open_source = source;
  u.band_pct = config.strike_range_pct;
  const StrikeBand band = strike_band(open, config.strike_range_pct);
  u.strike_low = band.low;
  u.strike_high = band.high;

  const auto first = to_sys(day);
  const auto limit = expiration_limit(config, day);
  std::vector<const OptionContract*> in_band;
  std::set<date::sys_days> expirations;
  for (const auto& c : listed) {
    if (c.underlying != config.underlying || !band.contains(c.strike)) continue;
    const auto e = to_sys(c.expiration);
    if (e < first || (limit && e > to_sys(*limit))) continue;
    in_band.push_back(&c);
    expirations.insert(e);
  }
  if (config.expiry_selection == "count") {
    const auto keep = static_cast<std::size_t>(std::max(0, config.expiration_count));
    while (expirations.size() > keep) expirations.erase(std::prev(expirations.end()));
  }
  if (expirations.empty()) {
    const std::string rule =
        config.expiry_selection == "count"
            ? fmt::format("expiry_selection=count, expiration_count={}", config.expiration_count)
            : fmt::format("expiry_selection=max_days, max_days_to_expiry={}", config.max_days_to_expiry);
    throw SoiError(ErrorCategory::validation,
                   fmt::format("no {} option expiration on or after {} with a strike in [{:.2f}, {:.2f}] "
                               "(open {:.2f} +/- {}%, {}; {} contract(s) listed)",
                               config.underlying, format_date(day), band.low, band.high, open,
                               config.strike_range_pct, rule, listed.size()),
                   context);
  }
  std::set<std::string> seen;
  for (const OptionContract* c : in_band) {
    if (!expirations.count(to_sys(c->expiration))) continue;
    if (!seen.insert(c->ticker).second) continue;  // a contract listed twice (paging overlap) is kept once
    u.contracts.push_back(*c);
  }
  sort_by_ticker(u.contracts);
  return u;
}

std::vector<OptionContract> add_contracts(OptionsUniverse& universe, std::vector<OptionContract> more) {
  std::set<std::string> known;
  for (const auto& c : universe.contracts) known.insert(c.ticker);
  std::vector<OptionContract> added;
  for (auto& c : more)
    if (known.insert(c.ticker).second) added.push_back(std::move(c));
  universe.contracts.insert(universe.contracts.end(), added.begin(), added.end());
  sort_by_ticker(universe.contracts);
  return added;
}

}  // namespace soi
