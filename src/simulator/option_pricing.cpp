#include "simulator/option_pricing.hpp"

#include <algorithm>
#include <cmath>

namespace soi::sim {

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double black_scholes(bool is_call, double spot, double strike, double years, double rate, double volatility) {
  years = std::max(years, kMinYearsToExpiry);
  volatility = std::max(volatility, 0.01);
  const double discount = std::exp(-rate * years);
  const double sd = volatility * std::sqrt(years);
  const double d1 = (std::log(spot / strike) + (rate + 0.5 * volatility * volatility) * years) / sd;
  const double d2 = d1 - sd;
  if (is_call) return spot * normal_cdf(d1) - strike * discount * normal_cdf(d2);
  return strike * discount * normal_cdf(-d2) - spot * normal_cdf(-d1);
}

double skewed_volatility(double base_volatility, double spot, double strike) {
  const double log_moneyness = std::log(strike / spot);
  return base_volatility * std::clamp(1.0 - 1.5 * log_moneyness, 0.7, 1.8);
}

}  // namespace soi::sim
