#include "data_sources/contracts_parser.hpp"

#include <algorithm>
#include <cmath>

#include "utils/error.hpp"

namespace soi {
namespace {

const EnvelopeSpec kContractsEnvelope{"options contracts"};

}  // namespace

void ContractsPage::clear() {
  status.clear();
  request_id.clear();
  next_url.clear();
  contracts.clear();
  rejects.clear();
  drift.clear();
  results_seen = 0;
  skipped_other = 0;
}

void ContractsParser::parse(std::string_view body, ContractsPage& page) {
  body_end_ = body.data() + body.size();
  parse_response_envelope(parser_, body, kContractsEnvelope,
                          {page.status, page.request_id, page.next_url, page.drift, page.results_seen},
                          [&](simdjson::ondemand::value contract) { parse_contract(contract, page); });
}

void ContractsParser::parse_contract(simdjson::ondemand::value value, ContractsPage& page) {
  const std::string_view first_token = value.raw_json_token();
  const char* start = first_token.data();
  auto reject = [&](std::string reason) {
    page.rejects.push_back({std::move(reason), std::string(json_object_at(start, body_end_))});
  };
  simdjson::ondemand::object obj;
  if (value.get_object().get(obj)) {
    page.rejects.push_back({"contract is not a JSON object", std::string(excerpt(first_token))});
    return;
  }

  OptionContract c;
  std::string type;
  std::string expiration;
  enum : unsigned { kTicker = 1, kUnderlying = 2, kType = 4, kExpiration = 8, kStrike = 16, kStyle = 32, kShares = 64 };
  unsigned seen = 0;
  const char* type_error = nullptr;

  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) throw SoiError(ErrorCategory::parse, "options contract: bad key");
    simdjson::ondemand::value v = field.value();
    auto wrong_type = [&](bool required) {
      std::string_view raw = v.raw_json_token();
      note_drift(page.drift, "results[]." + std::string(key), DriftKind::type_changed, raw);
      if (required && !type_error) type_error = "field has the wrong type";
    };
    auto read_string = [&](std::string& target, unsigned bit, bool required) {
      std::string_view s;
      if (v.get_string().get(s)) return wrong_type(required);
      target.assign(s);
      seen |= bit;
    };
    if (key == "ticker") {
      read_string(c.ticker, kTicker, true);
    } else if (key == "underlying_ticker") {
      read_string(c.underlying, kUnderlying, true);
    } else if (key == "contract_type") {
      read_string(type, kType, true);
    } else if (key == "expiration_date") {
      read_string(expiration, kExpiration, true);
    } else if (key == "exercise_style") {
      read_string(c.exercise_style, kStyle, false);
    } else if (key == "strike_price") {
      if (v.get_double().get(c.strike)) wrong_type(true);
      else seen |= kStrike;
    } else if (key == "shares_per_contract") {
      std::int64_t n = 0;
      double d = 0;
      if (!v.get_int64().get(n)) {
        c.shares_per_contract = static_cast<int>(std::clamp<std::int64_t>(n, -1, 1'000'000'000));
        seen |= kShares;
      } else if (!v.get_double().get(d) && d == std::floor(d) && d > 0 && d < 1e9) {
        c.shares_per_contract = static_cast<int>(d);
        seen |= kShares;
      } else {
        wrong_type(false);
      }
    } else if (key == "primary_exchange" || key == "cfi" || key == "correction" || key == "additional_underlyings") {
      // Contract-known fields we do not store.
    } else {
      std::string_view raw = v.raw_json_token();
      note_drift(page.drift, "results[]." + std::string(key), DriftKind::unknown_field, raw);
    }
  }

  constexpr unsigned kRequired = kTicker | kUnderlying | kType | kExpiration | kStrike;
  if ((seen & kRequired) != kRequired) {
    reject(type_error ? std::string(type_error)
                      : "required field missing (ticker, underlying_ticker, contract_type, expiration_date, "
                        "strike_price)");
    return;
  }
  if (!(seen & kStyle)) note_drift(page.drift, "results[].exercise_style", DriftKind::missing_optional_field, "");
  if (!(seen & kShares)) note_drift(page.drift, "results[].shares_per_contract", DriftKind::missing_optional_field, "");

  if (type == "other") {
    ++page.skipped_other;
    return;
  }
  if (type == "call") c.type = ContractType::call;
  else if (type == "put") c.type = ContractType::put;
  else return reject("contract_type must be call, put or other, got \"" + std::string(excerpt(type)) + "\"");
  if (c.ticker.size() < 3 || c.ticker.compare(0, 2, "O:") != 0)
    return reject("ticker is not an option ticker (O:...)");
  if (c.underlying.empty()) return reject("underlying_ticker is empty");
  const auto parsed = parse_date(expiration);
  if (!parsed) return reject("expiration_date is not YYYY-MM-DD");
  c.expiration = *parsed;
  if (!std::isfinite(c.strike) || c.strike <= 0) return reject("strike_price must be positive");
  if ((seen & kShares) && c.shares_per_contract <= 0) return reject("shares_per_contract must be positive");
  page.contracts.push_back(std::move(c));
}

std::optional<double> parse_open_close_open(std::string_view body) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(body);
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc)) return std::nullopt;
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj)) return std::nullopt;
  std::optional<double> open;
  std::string status;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return std::nullopt;
    if (key == "status") {
      std::string_view s;
      if (field.value().get_string().get(s)) return std::nullopt;
      status = s;
    } else if (key == "open") {
      double v = 0;
      if (field.value().get_double().get(v)) return std::nullopt;
      open = v;
    }
  }
  if (status != "OK" && status != "DELAYED") return std::nullopt;
  if (!open || !std::isfinite(*open) || *open <= 0) return std::nullopt;
  return open;
}

}  // namespace soi
