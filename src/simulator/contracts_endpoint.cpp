#include "simulator/contracts_endpoint.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "simulator/api_response.hpp"
#include "simulator/cursor_codec.hpp"
#include "simulator/request_params.hpp"

namespace soi::sim {
namespace {

constexpr int kDefaultContractsLimit = 10;
constexpr int kMaxContractsLimit = 1000;
constexpr int kDailyExpirations = 5;
constexpr int kMonthlyExpirations = 2;
constexpr int kExpiredLookbackDays = 10;
constexpr double kStrikeBand = 0.15;

// Parameters that define the listing; a cursor carries exactly these (plus offset).
constexpr std::array<std::string_view, 22> kListingKeys{
    "underlying_ticker", "underlying_ticker.gt", "underlying_ticker.gte", "underlying_ticker.lt",
    "underlying_ticker.lte", "contract_type", "expiration_date", "expiration_date.gt", "expiration_date.gte",
    "expiration_date.lt", "expiration_date.lte", "strike_price", "strike_price.gt", "strike_price.gte",
    "strike_price.lt", "strike_price.lte", "ticker", "expired", "limit", "sort", "order", "as_of"};

struct Listing {
  std::string ticker;
  OccContract contract;
};

Date third_friday_expiration(const MarketCalendar& calendar, date::year y, date::month m) {
  Date d{date::year_month_weekday{y, m, date::weekday_indexed{date::Friday, 3}}};
  // Good Friday moves the monthly expiration to Thursday.
  while (!calendar.is_trading_day(d)) d = add_days(d, -1);
  return d;
}

std::string parse_text(const std::string&, std::string_view v) { return std::string(v); }

}  // namespace

std::vector<OccContract> synthetic_chain(SyntheticMarket& market, const MarketCalendar& calendar, Date as_of,
                                         bool expired) {
  const Date anchor = calendar.is_trading_day(as_of) ? as_of : calendar.next_trading_day(as_of);
  std::set<date::sys_days> expirations;
  if (expired) {
    for (const Date d : calendar.last_trading_days(as_of, kExpiredLookbackDays)) expirations.insert(to_sys(d));
  } else {
    Date d = anchor;
    for (int i = 0; i < kDailyExpirations; ++i, d = calendar.next_trading_day(d)) expirations.insert(to_sys(d));
    // Monthly (third-Friday) expirations of this month, when still ahead, and the next two.
    date::year_month ym = anchor.year() / anchor.month();
    for (int i = 0; i <= kMonthlyExpirations; ++i, ym += date::months{1}) {
      const Date monthly = third_friday_expiration(calendar, ym.year(), ym.month());
      if (to_sys(monthly) >= to_sys(anchor)) expirations.insert(to_sys(monthly));
    }
  }
  const auto state = market.daily("SPY", anchor);
  if (!state) return {};
  const auto low = static_cast<std::int64_t>(std::floor(state->open * (1.0 - kStrikeBand)));
  const auto high = static_cast<std::int64_t>(std::ceil(state->open * (1.0 + kStrikeBand)));
  std::vector<OccContract> chain;
  chain.reserve(expirations.size() * static_cast<std::size_t>(high - low + 1) * 2);
  for (const auto& e : expirations)
    for (std::int64_t k = low; k <= high; ++k)
      for (bool call : {true, false}) chain.push_back(OccContract{"SPY", Date{e}, call, k * 1000});
  return chain;
}

SimResponse handle_options_contracts(const SimServices& services, const RequestScope& scope) {
  QueryParams params = scope.request.params;
  if (auto cursor = params.get("cursor")) {
    auto decoded = decode_cursor(*cursor);
    if (!decoded) throw BadRequest("Invalid cursor");
    params = *decoded;
  }
  const int limit = parse_limit(params, kDefaultContractsLimit, kMaxContractsLimit);
  const std::string sort =
      parse_choice(params, "sort", "ticker", {"ticker", "underlying_ticker", "expiration_date", "strike_price"});
  const bool ascending = parse_choice(params, "order", "asc", {"asc", "desc"}) == "asc";
  const bool expired = parse_bool(params, "expired", false);
  const Date as_of = params.has("as_of") ? parse_date_value("as_of", *params.get("as_of"))
                                         : ny_date_of_utc_ms(scope.now_ms);
  const std::string contract_type = parse_choice(params, "contract_type", "", {"call", "put", "other"});
  const auto underlying = RangeFilter<std::string>::parse(params, "underlying_ticker", parse_text);
  const auto expiration = RangeFilter<Date>::parse(params, "expiration_date", parse_date_value);
  const auto strike = RangeFilter<double>::parse(params, "strike_price", parse_number_value);
  const auto ticker = params.get("ticker");
  std::size_t offset = 0;
  if (auto text = params.get("offset")) offset = static_cast<std::size_t>(std::max(0.0, parse_number_value("offset", *text)));

  std::vector<OccContract> chain;
  if (auto listed = services.bars.listed_options(as_of)) {
    for (const auto& t : *listed) {
      auto c = parse_occ_ticker(t);
      if (c && (to_sys(c->expiration) < to_sys(as_of)) == expired) chain.push_back(*c);
    }
  } else {
    chain = synthetic_chain(services.market, services.calendar, as_of, expired);
  }

  std::vector<Listing> rows;
  for (const auto& c : chain) {
    if (!contract_type.empty() && contract_type != (c.is_call ? "call" : "put")) continue;
    if (!underlying.matches(c.root) || !expiration.matches(c.expiration) || !strike.matches(c.strike())) continue;
    std::string t = format_occ_ticker(c);
    if (ticker && *ticker != t) continue;
    rows.push_back(Listing{std::move(t), c});
  }
  const auto key_less = [&](const Listing& a, const Listing& b) {
    if (sort == "expiration_date" && a.contract.expiration != b.contract.expiration)
      return a.contract.expiration < b.contract.expiration;
    if (sort == "strike_price" && a.contract.strike_milli != b.contract.strike_milli)
      return a.contract.strike_milli < b.contract.strike_milli;
    if (sort == "underlying_ticker" && a.contract.root != b.contract.root) return a.contract.root < b.contract.root;
    return a.ticker < b.ticker;
  };
  std::sort(rows.begin(), rows.end(), [&](const Listing& a, const Listing& b) {
    return ascending ? key_less(a, b) : key_less(b, a);
  });

  const std::size_t begin = std::min(offset, rows.size());
  const std::size_t end = std::min(begin + static_cast<std::size_t>(limit), rows.size());
  JsonWriter w(256 + (end - begin) * 260);
  w.begin_object();
  w.key("results").begin_array();
  for (std::size_t i = begin; i < end; ++i) {
    const auto& [t, c] = rows[i];
    w.begin_object();
    w.field("cfi", c.is_call ? "OCASPS" : "OPASPS");
    w.field("contract_type", c.is_call ? "call" : "put");
    w.field("exercise_style", "american");
    w.field("expiration_date", format_date(c.expiration));
    w.field("primary_exchange", "BATO");
    w.field("shares_per_contract", 100);
    w.field("strike_price", c.strike());
    w.field("ticker", t);
    w.field("underlying_ticker", c.root);
    write_new_field(w, scope);
    w.end_object();
  }
  w.end_array();
  w.field("status", "OK").field("request_id", scope.request_id);
  if (end < rows.size()) {
    QueryParams next;
    for (const auto& [k, v] : params.items())
      if (std::find(kListingKeys.begin(), kListingKeys.end(), k) != kListingKeys.end()) next.set(k, v);
    next.set("as_of", format_date(as_of));  // pins "today" so paging survives midnight
    next.set("offset", std::to_string(end));
    w.field("next_url", fmt::format("{}/v3/reference/options/contracts?cursor={}", scope.base_url, encode_cursor(next)));
  }
  write_new_field(w, scope);
  w.end_object();
  return json_response(w.take());
}

}  // namespace soi::sim
