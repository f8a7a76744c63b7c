// The options contracts page parser and the open-close open.
#include "data_sources/contracts_parser.hpp"

#include <gtest/gtest.h>

#include "utils/error.hpp"

namespace soi {
namespace {

std::string padded(std::string s) {
  s.reserve(s.size() + simdjson::SIMDJSON_PADDING);
  return s;
}

ContractsPage parse(const std::string& text) {
  ContractsParser parser;
  ContractsPage page;
  const std::string body = padded(text);
  parser.parse(body, page);
  return page;
}

const FieldDrift* find_drift(const ContractsPage& page, std::string_view field, DriftKind kind) {
  for (const auto& d : page.drift)
    if (d.field == field && d.kind == kind) return &d;
  return nullptr;
}

TEST(ContractsParser, ParsesTheDocumentedPage) {
  const auto page = parse(R"({"results":[
  {"cfi":"OCASPS","contract_type":"call","exercise_style":"american","expiration_date":"2025-01-17",
   "primary_exchange":"BATO","shares_per_contract":100,"strike_price":590,
   "ticker":"O:SPY250117C00590000","underlying_ticker":"SPY"},
  {"cfi":"OPASPS","contract_type":"put","exercise_style":"american","expiration_date":"2025-01-17",
   "primary_exchange":"BATO","shares_per_contract":100,"strike_price":590.5,
   "ticker":"O:SPY250117P00590500","underlying_ticker":"SPY"}],
 "status":"OK","request_id":"603902c0a5a5406fbd08f030f92418fa",
 "next_url":"https://api.massive.com/v3/reference/options/contracts?cursor=YXA9"})");
  EXPECT_EQ(page.status, "OK");
  EXPECT_EQ(page.request_id, "603902c0a5a5406fbd08f030f92418fa");
  EXPECT_EQ(page.next_url, "https://api.massive.com/v3/reference/options/contracts?cursor=YXA9");
  EXPECT_EQ(page.results_seen, 2u);
  EXPECT_TRUE(page.rejects.empty());
  EXPECT_TRUE(page.drift.empty());
  ASSERT_EQ(page.contracts.size(), 2u);
  const auto& c = page.contracts[0];
  EXPECT_EQ(c.ticker, "O:SPY250117C00590000");
  EXPECT_EQ(c.underlying, "SPY");
  EXPECT_EQ(c.type, ContractType::call);
  EXPECT_EQ(c.strike, 590.0);
  EXPECT_EQ(format_date(c.expiration), "2025-01-17");
  EXPECT_EQ(c.exercise_style, "american");
  EXPECT_EQ(c.shares_per_contract, 100);
  EXPECT_EQ(page.contracts[1].type, ContractType::put);
  EXPECT_EQ(page.contracts[1].strike, 590.5);
}

TEST(ContractsParser, LastPageAndEmptyResults) {
  const auto page = parse(R"({"status":"OK","request_id":"x"})");
  EXPECT_TRUE(page.next_url.empty());
  EXPECT_TRUE(page.contracts.empty());
  EXPECT_EQ(page.results_seen, 0u);
}

TEST(ContractsParser, OtherTypeIsSkippedNotRejected) {
  const auto page = parse(R"({"results":[{"contract_type":"other","exercise_style":"american",
    "expiration_date":"2025-01-17","shares_per_contract":100,"strike_price":590,
    "ticker":"O:SPY250117C00590000","underlying_ticker":"SPY"}],"status":"OK"})");
  EXPECT_TRUE(page.contracts.empty());
  EXPECT_TRUE(page.rejects.empty());
  EXPECT_EQ(page.skipped_other, 1u);
}

TEST(ContractsParser, BadRecordsAreRejectedWithTheirRawJson) {
  const auto page = parse(R"({"results":[
    {"contract_type":"call","expiration_date":"2025-01-17","ticker":"O:SPY250117C00590000","underlying_ticker":"SPY"},
    {"contract_type":"call","expiration_date":"2025-01-17","strike_price":"590","ticker":"O:SPY250117C00590000","underlying_ticker":"SPY"},
    {"contract_type":"straddle","expiration_date":"2025-01-17","strike_price":590,"ticker":"O:SPY250117C00590000","underlying_ticker":"SPY"},
    {"contract_type":"put","expiration_date":"17/01/2025","strike_price":590,"ticker":"O:SPY250117P00590000","underlying_ticker":"SPY"},
    {"contract_type":"put","expiration_date":"2025-01-17","strike_price":-1,"ticker":"O:SPY250117P00590000","underlying_ticker":"SPY"},
    {"contract_type":"put","expiration_date":"2025-01-17","strike_price":590,"ticker":"SPY","underlying_ticker":"SPY"},
    7,
    {"contract_type":"put","exercise_style":"american","expiration_date":"2025-01-17","shares_per_contract":100,
     "strike_price":590,"ticker":"O:SPY250117P00590000","underlying_ticker":"SPY"}],"status":"OK"})");
  ASSERT_EQ(page.rejects.size(), 7u);
  ASSERT_EQ(page.contracts.size(), 1u);
  EXPECT_EQ(page.results_seen, 8u);
  EXPECT_NE(page.rejects[0].reason.find("required field missing"), std::string::npos);
  EXPECT_EQ(page.rejects[0].raw_json.front(), '{');
  EXPECT_EQ(page.rejects[0].raw_json.back(), '}');
  EXPECT_NE(page.rejects[0].raw_json.find("\"underlying_ticker\":\"SPY\""), std::string::npos);
  EXPECT_EQ(page.rejects[1].reason, "field has the wrong type");
  EXPECT_NE(find_drift(page, "results[].strike_price", DriftKind::type_changed), nullptr);
  EXPECT_NE(page.rejects[2].reason.find("straddle"), std::string::npos);
  EXPECT_NE(page.rejects[3].reason.find("expiration_date"), std::string::npos);
  EXPECT_NE(page.rejects[4].reason.find("strike_price"), std::string::npos);
  EXPECT_NE(page.rejects[5].reason.find("option ticker"), std::string::npos);
  EXPECT_EQ(page.rejects[6].reason, "contract is not a JSON object");
}

TEST(ContractsParser, DriftIsReportedOncePerPage) {
  const auto page = parse(R"({"results":[
    {"contract_type":"call","expiration_date":"2025-01-17","strike_price":590,"ticker":"O:SPY250117C00590000",
     "underlying_ticker":"SPY","zz_new":1},
    {"contract_type":"put","expiration_date":"2025-01-17","strike_price":590,"ticker":"O:SPY250117P00590000",
     "underlying_ticker":"SPY","zz_new":2}],"status":"OK","zz_env":true})");
  EXPECT_EQ(page.contracts.size(), 2u);
  EXPECT_EQ(page.contracts[0].exercise_style, "");
  EXPECT_EQ(page.contracts[0].shares_per_contract, 100);  // default when absent
  EXPECT_NE(find_drift(page, "results[].zz_new", DriftKind::unknown_field), nullptr);
  EXPECT_NE(find_drift(page, "envelope.zz_env", DriftKind::unknown_field), nullptr);
  EXPECT_NE(find_drift(page, "results[].exercise_style", DriftKind::missing_optional_field), nullptr);
  EXPECT_NE(find_drift(page, "results[].shares_per_contract", DriftKind::missing_optional_field), nullptr);
  EXPECT_EQ(page.drift.size(), 4u);
}

TEST(ContractsParser, ErrorsHaveCategories) {
  try {
    parse("not json at all");
    FAIL();
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::parse);
  }
  try {
    parse(R"({"status":"ERROR","request_id":"x","error":"bad"})");
    FAIL();
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::server);
  }
  try {
    parse(R"({"results":[{"contract_type":"call")");  // truncated
    FAIL();
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::parse);
  }
}

TEST(ContractsParser, ParserIsReusedAcrossPages) {
  ContractsParser parser;
  for (int i = 0; i < 3; ++i) {
    ContractsPage page;
    const std::string body = padded(R"({"results":[{"contract_type":"call","expiration_date":"2025-01-17",)"
                                    R"("strike_price":590,"ticker":"O:SPY250117C00590000","underlying_ticker":"SPY",)"
                                    R"("exercise_style":"american","shares_per_contract":100}],"status":"DELAYED"})");
    parser.parse(body, page);
    EXPECT_EQ(page.contracts.size(), 1u);
  }
}

TEST(OpenClose, OpenIsRead) {
  EXPECT_EQ(parse_open_close_open(R"({"status":"OK","from":"2025-01-17","symbol":"SPY","open":598.62,"high":600.97,
    "low":596.35,"close":597.58,"volume":58345321,"afterHours":597.2,"preMarket":597.1})"),
            598.62);
  EXPECT_EQ(parse_open_close_open(R"({"open":600,"status":"DELAYED"})"), 600.0);
  EXPECT_FALSE(parse_open_close_open(R"({"status":"NOT_FOUND","request_id":"x","message":"Data not found."})"));
  EXPECT_FALSE(parse_open_close_open(R"({"status":"OK","open":0})"));
  EXPECT_FALSE(parse_open_close_open(R"({"status":"OK","open":"598"})"));
  EXPECT_FALSE(parse_open_close_open(R"({"status":"OK"})"));
  EXPECT_FALSE(parse_open_close_open("garbage"));
}

}  // namespace
}  // namespace soi
