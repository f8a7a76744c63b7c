#include "data_sources/aggs_parser.hpp"

#include <gtest/gtest.h>

#include "utils/error.hpp"

namespace soi {
namespace {

constexpr std::int64_t kOpen = 1737124200000;  // 2025-01-17 09:30 New York
const BarWindow kWindow{kOpen, kOpen + 23400000, 1000};

std::string padded(std::string s) {
  s.reserve(s.size() + simdjson::SIMDJSON_PADDING);
  return s;
}

AggsPage parse(AggsShape shape, const std::string& json) {
  AggsParser parser(shape);
  AggsPage page;
  std::string body = padded(json);
  parser.parse(body, kWindow, page);
  return page;
}

TEST(AggsParserTest, ParsesContractExample) {
  auto page = parse(AggsShape::equity, R"({"ticker":"O:SPY250117C00590000","queryCount":2,"resultsCount":2,"adjusted":true,
 "results":[{"v":14,"vw":9.4121,"o":9.4,"c":9.43,"h":9.45,"l":9.4,"t":1737124201000,"n":6},
            {"v":3,"vw":9.5,"o":9.5,"c":9.5,"h":9.5,"l":9.5,"t":1737124203000,"n":1}],
 "status":"DELAYED","request_id":"9a8b","count":2,
 "next_url":"https://api.massive.com/v2/aggs/ticker/X/range/1/second/1737124204000/2025-01-17?cursor=abc"})");
  ASSERT_EQ(page.bars.size(), 2u);
  EXPECT_EQ(page.status, "DELAYED");
  EXPECT_EQ(page.next_url, "https://api.massive.com/v2/aggs/ticker/X/range/1/second/1737124204000/2025-01-17?cursor=abc");
  const Bar& b = page.bars[0];
  EXPECT_EQ(b.ts_ms, 1737124201000);
  EXPECT_DOUBLE_EQ(b.open, 9.4);
  EXPECT_DOUBLE_EQ(b.high, 9.45);
  EXPECT_DOUBLE_EQ(b.low, 9.4);
  EXPECT_DOUBLE_EQ(b.close, 9.43);
  EXPECT_DOUBLE_EQ(b.volume, 14);
  EXPECT_DOUBLE_EQ(b.vwap, 9.4121);
  EXPECT_EQ(b.transactions, 6);
  EXPECT_EQ(b.fields, kBarFullFields);
  EXPECT_TRUE(page.rejects.empty());
  EXPECT_TRUE(page.drift.empty());
}

TEST(AggsParserTest, IndexBarsCarryNoVolume) {
  auto page = parse(AggsShape::index, R"({"ticker":"I:VIX","queryCount":1,"resultsCount":1,
 "results":[{"o":15.97,"h":16.02,"l":15.95,"c":16.0,"t":1737124200000}],"status":"OK","request_id":"4e","count":1})");
  ASSERT_EQ(page.bars.size(), 1u);
  EXPECT_EQ(page.bars[0].fields, 0);
  EXPECT_TRUE(page.drift.empty());
  EXPECT_TRUE(page.next_url.empty());
}

TEST(AggsParserTest, EmptyAnswerWithoutResultsKey) {
  auto page = parse(AggsShape::equity, R"({"ticker":"SPY","queryCount":0,"resultsCount":0,"adjusted":true,"status":"OK","request_id":"x","count":0})");
  EXPECT_TRUE(page.bars.empty());
  EXPECT_EQ(page.results_seen, 0u);
}

TEST(AggsParserTest, InvalidBarsAreRejectedWithRawJsonAndReason) {
  auto page = parse(AggsShape::equity, R"({"status":"OK","results":[
 {"v":1,"vw":10,"o":10,"c":10,"h":9,"l":11,"t":1737124201000,"n":1},
 {"v":1,"vw":10,"o":10,"c":10,"h":10,"l":10,"t":1737124201500,"n":1},
 {"v":1,"vw":10,"o":10,"c":10,"h":10,"l":10,"t":1000,"n":1},
 {"v":-5,"vw":10,"o":10,"c":10,"h":10,"l":10,"t":1737124202000,"n":1},
 {"vw":10,"o":10,"c":10,"h":10,"l":10,"t":1737124203000,"n":1},
 {"v":"12","vw":10,"o":10,"c":10,"h":10,"l":10,"t":1737124204000,"n":1},
 "oops",
 {"v":1,"vw":10,"o":10,"c":10,"h":10,"l":10,"t":1737124205000,"n":1}]})");
  ASSERT_EQ(page.bars.size(), 1u);
  EXPECT_EQ(page.bars[0].ts_ms, 1737124205000);
  ASSERT_EQ(page.rejects.size(), 7u);
  EXPECT_EQ(page.rejects[0].reason, "open outside [low, high]");
  EXPECT_EQ(page.rejects[0].raw_json, R"({"v":1,"vw":10,"o":10,"c":10,"h":9,"l":11,"t":1737124201000,"n":1})");
  EXPECT_EQ(page.rejects[1].reason, "timestamp not on a bar boundary");
  EXPECT_EQ(page.rejects[2].reason, "timestamp outside the requested window");
  EXPECT_EQ(page.rejects[3].reason, "negative volume");
  EXPECT_NE(page.rejects[4].reason.find("required field missing"), std::string::npos);
  EXPECT_EQ(page.rejects[5].reason, "field has the wrong type");
  EXPECT_EQ(page.rejects[6].reason, "bar is not a JSON object");
  ASSERT_EQ(page.drift.size(), 1u);
  EXPECT_EQ(page.drift[0].field, "results[].v");
  EXPECT_EQ(page.drift[0].kind, DriftKind::type_changed);
}

TEST(AggsParserTest, UnknownAndMissingOptionalFieldsAreDriftOncePerPage) {
  auto page = parse(AggsShape::equity, R"({"status":"OK","zz_new":{"a":1},"results":[
 {"v":1,"o":10,"c":10,"h":10,"l":10,"t":1737124201000,"n":1,"zz":7},
 {"v":1,"o":10,"c":10,"h":10,"l":10,"t":1737124202000,"n":1,"zz":8}]})");
  ASSERT_EQ(page.bars.size(), 2u);
  EXPECT_EQ(page.bars[0].fields, kBarHasVolume | kBarHasTransactions);
  ASSERT_EQ(page.drift.size(), 3u);
  EXPECT_EQ(page.drift[0].field, "envelope.zz_new");
  EXPECT_EQ(page.drift[1].field, "results[].zz");
  EXPECT_EQ(page.drift[1].example, "7");
  EXPECT_EQ(page.drift[2].field, "results[].vw");
  EXPECT_EQ(page.drift[2].kind, DriftKind::missing_optional_field);
}

TEST(AggsParserTest, DriftPerPageIsCappedAndFieldNamesAreShortened) {
  // A page of many distinct unknown keys (and one very long one) keeps the bars and
  // at most kMaxDriftPerPage observations, each name cut to an excerpt.
  // Built with append(): GCC 12 reports a bogus -Wrestrict for literal + std::string here.
  std::string body = R"({"status":"OK","results":[{"v":1,"vw":10,"o":10,"c":10,"h":10,"l":10,"t":1737124201000,"n":1,")";
  body.append(500, 'k').append(R"(":0)");
  for (int i = 0; i < 100; ++i) body.append(",\"zz").append(std::to_string(i)).append("\":").append(std::to_string(i));
  body.append("}]}");
  auto page = parse(AggsShape::equity, body);
  ASSERT_EQ(page.bars.size(), 1u);
  ASSERT_EQ(page.drift.size(), kMaxDriftPerPage);
  EXPECT_LE(page.drift[0].field.size(), kExcerptLimit);
  EXPECT_EQ(page.drift[1].field, "results[].zz0");
}

TEST(AggsParserTest, TimestampsAsDoublesMustBeWholeInt64s) {
  // An out-of-range double is never an undefined conversion to int64.
  auto page = parse(AggsShape::equity, R"({"status":"OK","results":[
 {"v":1,"vw":10,"o":10,"c":10,"h":10,"l":10,"t":1.737124201e12,"n":1},
 {"v":1,"vw":10,"o":10,"c":10,"h":10,"l":10,"t":1.1e49,"n":1},
 {"v":1,"vw":10,"o":10,"c":10,"h":10,"l":10,"t":1737124202000,"n":-9.3e18}]})");
  // The out-of-range t is a reject; the out-of-range n (optional) is type drift and the
  // bar is kept without a transaction count.
  ASSERT_EQ(page.bars.size(), 2u);
  EXPECT_EQ(page.bars[0].ts_ms, 1737124201000);
  EXPECT_EQ(page.rejects.size(), 1u);
  EXPECT_EQ(page.bars[1].fields & kBarHasTransactions, 0);
}

TEST(AggsParserTest, MalformedAndTruncatedBodiesAreParseErrors) {
  for (std::string body : {std::string("not json"), std::string(R"({"status":"OK","results":[{"v":1,"o":1)"),
                           std::string("[1,2]")}) {
    try {
      parse(AggsShape::equity, body);
      FAIL() << "expected a parse error for " << body;
    } catch (const SoiError& e) {
      EXPECT_EQ(e.category(), ErrorCategory::parse) << e.what();
    }
  }
}

TEST(AggsParserTest, ErrorStatusIsAServerError) {
  try {
    parse(AggsShape::equity, R"({"status":"ERROR","request_id":"x","error":"boom"})");
    FAIL();
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::server);
  }
}

TEST(AggsParserTest, ParserIsReusableAcrossPages) {
  AggsParser parser(AggsShape::equity);
  for (int i = 0; i < 3; ++i) {
    AggsPage page;
    std::string body = padded(R"({"status":"OK","results":[{"v":1,"vw":10,"o":10,"c":10,"h":10,"l":10,"t":1737124201000,"n":1}]})");
    parser.parse(body, kWindow, page);
    EXPECT_EQ(page.bars.size(), 1u);
  }
}

}  // namespace
}  // namespace soi
