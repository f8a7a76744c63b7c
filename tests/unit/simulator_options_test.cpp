// What an options backfill needs from the simulator: contracts listed as of the
// asked day (including that day's expiration) around the day's open, option
// prices that follow the underlying, and sparse option bars.
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "simulator_test_support.hpp"

namespace soi::sim::test {
namespace {

class OptionsSimTest : public ServerTest {
 protected:
  double open_of(const std::string& date) {
    auto r = http_get(url("/v1/open-close/SPY/" + date + "?adjusted=true"));
    EXPECT_EQ(r.status, 200) << r.body;
    Json doc(r.body);
    return num(doc.root, "open");
  }
  // ts -> close of every second bar of `ticker` in the regular session of `date`.
  std::map<std::int64_t, double> closes(const std::string& ticker, const std::string& date) {
    const Date d = *parse_date(date);
    std::map<std::int64_t, double> out;
    std::string path = fmt::format("/v2/aggs/ticker/{}/range/1/second/{}/{}?sort=asc&limit=50000", ticker,
                                   ny_wall_to_utc_ms(d, 9 * 60 + 30), ny_wall_to_utc_ms(d, 16 * 60) - 1000);
    for (int pages = 0; !path.empty() && pages < 100; ++pages) {
      auto r = http_get(url(path));
      EXPECT_EQ(r.status, 200) << r.body.substr(0, 200);
      if (r.status != 200) break;
      Json doc(r.body);
      if (doc.has("results"))
        for (auto e : doc["results"].get_array()) out[int_of(e, "t")] = num(e, "c");
      path = doc.has("next_url") ? path_of(str(doc.root, "next_url")) : "";
    }
    return out;
  }
};

double correlation(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sx += x[i];
    sy += y[i];
    sxx += x[i] * x[i];
    syy += y[i] * y[i];
    sxy += x[i] * y[i];
  }
  const double cov = sxy / n - (sx / n) * (sy / n);
  return cov / std::sqrt((sxx / n - (sx / n) * (sx / n)) * (syy / n - (sy / n) * (sy / n)));
}

TEST_F(OptionsSimTest, ContractsAreListedAsOfTheAskedDayAroundItsOpen) {
  // A Friday, the day after a holiday, an early close, a Monday.
  for (const std::string date : {"2025-01-17", "2025-01-21", "2024-11-29", "2025-02-03"}) {
    const double open = open_of(date);
    const std::string path = fmt::format(
        "/v3/reference/options/contracts?underlying_ticker=SPY&as_of={}&expiration_date.gte={}"
        "&strike_price.gte={:.2f}&strike_price.lte={:.2f}&limit=1000",
        date, date, open * 0.99, open * 1.01);
    auto r = http_get(url(path));
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
    Json doc(r.body);
    std::set<std::string> expirations;
    std::size_t n = 0;
    for (auto e : doc["results"].get_array()) {
      ++n;
      expirations.insert(str(e, "expiration_date"));
      EXPECT_GE(num(e, "strike_price"), open * 0.99 - 0.005);
      EXPECT_LE(num(e, "strike_price"), open * 1.01 + 0.005);
    }
    EXPECT_GE(n, 10u) << date;
    ASSERT_FALSE(expirations.empty()) << date;
    EXPECT_EQ(*expirations.begin(), date) << "the day's own (0DTE) expiration is listed as of the day";
  }
}

TEST_F(OptionsSimTest, OptionPricesFollowTheUnderlying) {
  const std::string date = "2025-01-17";
  const auto spy = closes("SPY", date);
  const auto strike = static_cast<long>(std::lround(open_of(date)));
  for (const bool call : {true, false}) {
    const std::string ticker = fmt::format("O:SPY250221{}{:08d}", call ? 'C' : 'P', strike * 1000);
    const auto option = closes(ticker, date);
    ASSERT_GT(option.size(), 100u) << ticker;
    std::vector<double> x, y;
    for (const auto& [ts, c] : option) {
      auto it = spy.find(ts);
      if (it == spy.end()) continue;
      x.push_back(it->second);
      y.push_back(c);
    }
    ASSERT_GT(x.size(), 100u);
    const double rho = correlation(x, y);
    // A call rises when SPY rises, a put falls.
    if (call) {
      EXPECT_GT(rho, 0.7) << ticker;
    } else {
      EXPECT_LT(rho, -0.7) << ticker;
    }
  }
}

TEST_F(OptionsSimTest, OptionBarsAreSparse) {
  const std::string date = "2025-01-17";
  const auto strike = static_cast<long>(std::lround(open_of(date)));
  const auto atm = closes(fmt::format("O:SPY250117C{:08d}", strike * 1000), date);
  const auto far = closes(fmt::format("O:SPY250117C{:08d}", (strike + 30) * 1000), date);
  const std::size_t session_seconds = 6 * 3600 + 30 * 60;
  EXPECT_GT(atm.size(), 0u);
  EXPECT_LT(atm.size(), session_seconds / 2);
  EXPECT_LT(far.size(), atm.size());  // liquidity falls away from the money
  std::size_t gaps = 0;
  std::int64_t prev = 0;
  for (const auto& [ts, c] : atm) {
    if (prev && ts - prev > 1000) ++gaps;
    prev = ts;
  }
  EXPECT_GT(gaps, atm.size() / 4);
}

}  // namespace
}  // namespace soi::sim::test
