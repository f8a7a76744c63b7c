// Black-Scholes pricing for synthetic option bars: prices follow the simulated
// underlying second by second, so a client sees options react to SPY moves.
#pragma once

namespace soi::sim {

inline constexpr double kRiskFreeRate = 0.04;
inline constexpr double kMillisPerYear = 365.0 * 24 * 3600 * 1000;
// Time-to-expiry floor: keeps prices finite and slightly above intrinsic at the bell.
inline constexpr double kMinYearsToExpiry = 5.0 * 60 * 1000 / kMillisPerYear;

double normal_cdf(double x);

// European Black-Scholes price (American early exercise is ignored: the
// simulator needs plausible, continuous prices, not an exercise model).
double black_scholes(bool is_call, double spot, double strike, double years, double rate, double volatility);

// Implied volatility with a simple put skew: lower strikes trade richer.
double skewed_volatility(double base_volatility, double spot, double strike);

}  // namespace soi::sim
