// Universe selection: band edges, expiration selection modes, the listing path.
#include "processing/options_universe.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "utils/error.hpp"

namespace soi {
namespace {

Date day(const char* text) { return *parse_date(text); }

OptionContract contract(double strike, const char* expiration, ContractType type = ContractType::call,
                        std::string underlying = "SPY") {
  OptionContract c;
  c.underlying = std::move(underlying);
  c.type = type;
  c.strike = strike;
  c.expiration = day(expiration);
  c.exercise_style = "american";
  const auto ymd = format_date(c.expiration);
  c.ticker = fmt::format("O:{}{}{}{}{}{:08d}", c.underlying, ymd.substr(2, 2), ymd.substr(5, 2), ymd.substr(8, 2),
                         type == ContractType::call ? 'C' : 'P', static_cast<long>(strike * 1000 + 0.5));
  return c;
}

OptionsSourceConfig count_config(int count) {
  OptionsSourceConfig o;
  o.expiry_selection = "count";
  o.expiration_count = count;
  return o;
}

TEST(OptionsUniverse, BandEdgesAreInclusive) {
  // open 500, 1% -> [495, 505]; 500 * 0.99 is not exactly 495 in binary.
  std::vector<OptionContract> listed;
  for (double k : {494.5, 494.99, 495.0, 500.0, 505.0, 505.01, 505.5})
    for (auto t : {ContractType::call, ContractType::put}) listed.push_back(contract(k, "2025-01-17", t));
  const auto u = select_universe(listed, count_config(1), day("2025-01-17"), 500.0, OpenSource::open_close);
  ASSERT_EQ(u.contracts.size(), 6u);
  for (const auto& c : u.contracts) {
    EXPECT_GE(c.strike, 495.0);
    EXPECT_LE(c.strike, 505.0);
  }
  EXPECT_NEAR(u.strike_low, 495.0, 1e-9);
  EXPECT_NEAR(u.strike_high, 505.0, 1e-9);
  EXPECT_EQ(u.open, 500.0);
  EXPECT_EQ(u.band_pct, 1.0);
  EXPECT_EQ(u.underlying, "SPY");
  EXPECT_EQ(u.open_source, OpenSource::open_close);
  EXPECT_TRUE(std::is_sorted(u.contracts.begin(), u.contracts.end(),
                             [](const auto& a, const auto& b) { return a.ticker < b.ticker; }));
}

TEST(OptionsUniverse, OtherUnderlyingsAndPastExpirationsAreIgnored) {
  std::vector<OptionContract> listed = {contract(500, "2025-01-16"), contract(500, "2025-01-17", ContractType::call, "QQQ"),
                                        contract(500, "2025-01-21")};
  const auto u = select_universe(listed, count_config(1), day("2025-01-17"), 500.0, OpenSource::first_bar);
  ASSERT_EQ(u.contracts.size(), 1u);
  EXPECT_EQ(format_date(u.contracts[0].expiration), "2025-01-21");
  EXPECT_EQ(u.open_source, OpenSource::first_bar);
}

TEST(OptionsUniverse, CountTakesTheNearestExpirationsIncludingTheDayItself) {
  std::vector<OptionContract> listed;
  for (const char* e : {"2025-02-21", "2025-01-17", "2025-01-21", "2025-01-22", "2025-03-21"})
    listed.push_back(contract(500, e));
  auto u = select_universe(listed, count_config(1), day("2025-01-17"), 500.0, OpenSource::open_close);
  ASSERT_EQ(u.contracts.size(), 1u);
  EXPECT_EQ(format_date(u.contracts[0].expiration), "2025-01-17");  // 0DTE is included
  u = select_universe(listed, count_config(3), day("2025-01-17"), 500.0, OpenSource::open_close);
  ASSERT_EQ(u.contracts.size(), 3u);
  std::set<std::string> expirations;
  for (const auto& c : u.contracts) expirations.insert(format_date(c.expiration));
  EXPECT_EQ(expirations, (std::set<std::string>{"2025-01-17", "2025-01-21", "2025-01-22"}));
  u = select_universe(listed, count_config(10), day("2025-01-17"), 500.0, OpenSource::open_close);
  EXPECT_EQ(u.contracts.size(), 5u);
}

TEST(OptionsUniverse, MaxDaysTakesEveryExpirationWithinTheHorizon) {
  OptionsSourceConfig o;
  o.expiry_selection = "max_days";
  o.max_days_to_expiry = 7;
  std::vector<OptionContract> listed;
  for (const char* e : {"2025-01-17", "2025-01-21", "2025-01-24", "2025-01-25", "2025-02-21"})
    listed.push_back(contract(500, e));
  const auto u = select_universe(listed, o, day("2025-01-17"), 500.0, OpenSource::open_close);
  ASSERT_EQ(u.contracts.size(), 3u);  // 17, 21, 24 (= day + 7, inclusive)
  EXPECT_EQ(format_date(u.contracts.back().expiration), "2025-01-24");
  o.max_days_to_expiry = 0;
  EXPECT_EQ(select_universe(listed, o, day("2025-01-17"), 500.0, OpenSource::open_close).contracts.size(), 1u);
}

TEST(OptionsUniverse, NoExpirationIsAClearValidationErrorForTheDay) {
  std::vector<OptionContract> listed = {contract(500, "2025-01-10"), contract(600, "2025-01-21")};
  try {
    select_universe(listed, count_config(1), day("2025-01-17"), 500.0, OpenSource::open_close);
    FAIL() << "expected an error";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::validation);
    EXPECT_EQ(e.context().source, "options");
    EXPECT_EQ(e.context().date, "2025-01-17");
    EXPECT_NE(e.message().find("no SPY option expiration on or after 2025-01-17"), std::string::npos) << e.message();
  }
  EXPECT_THROW(select_universe({}, count_config(1), day("2025-01-17"), 500.0, OpenSource::open_close), SoiError);
  OptionsSourceConfig o;
  o.expiry_selection = "max_days";
  o.max_days_to_expiry = 2;
  EXPECT_THROW(select_universe({contract(500, "2025-01-21")}, o, day("2025-01-17"), 500.0, OpenSource::open_close),
               SoiError);
}

TEST(OptionsUniverse, BadInputsAreErrorsNotCrashes) {
  std::vector<OptionContract> listed = {contract(500, "2025-01-17")};
  OptionsSourceConfig o;
  o.expiry_selection = "weekly";
  try {
    select_universe(listed, o, day("2025-01-17"), 500.0, OpenSource::open_close);
    FAIL();
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::config);
  }
  EXPECT_THROW(select_universe(listed, count_config(1), day("2025-01-17"), 0.0, OpenSource::open_close), SoiError);
}

TEST(OptionsUniverse, DuplicateListingsAreKeptOnce) {
  std::vector<OptionContract> listed = {contract(500, "2025-01-17"), contract(500, "2025-01-17")};
  EXPECT_EQ(select_universe(listed, count_config(1), day("2025-01-17"), 500.0, OpenSource::open_close).contracts.size(),
            1u);
}

TEST(OptionsUniverse, ListingPath) {
  OptionsSourceConfig o;
  o.contracts_page_limit = 250;
  const StrikeBand band = strike_band(598.62, 1.0);
  EXPECT_EQ(contracts_path(o, day("2025-01-17"), band),
            "/v3/reference/options/contracts?underlying_ticker=SPY&as_of=2025-01-17&expiration_date.gte=2025-01-17"
            "&strike_price.gte=592.63&strike_price.lte=604.61&sort=ticker&order=asc&limit=250");
  o.expiry_selection = "max_days";
  o.max_days_to_expiry = 7;
  const std::string path = contracts_path(o, day("2025-01-17"), strike_band(500, 1.0));
  EXPECT_NE(path.find("&expiration_date.lte=2025-01-24"), std::string::npos);
  // Bounds are rounded outwards: the edges of the band are never cut by the server.
  EXPECT_NE(path.find("strike_price.gte=494.99"), std::string::npos) << path;
  EXPECT_NE(path.find("strike_price.lte=505.01"), std::string::npos) << path;
}

}  // namespace
}  // namespace soi
