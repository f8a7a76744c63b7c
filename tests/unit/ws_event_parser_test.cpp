#include "data_sources/ws_event_parser.hpp"

#include <gtest/gtest.h>

namespace soi {
namespace {

// Contract §7, verbatim.
constexpr std::string_view kContractFrame =
    R"([{"ev":"A","sym":"SPY","v":1200,"av":4215530,"op":598.62,"vw":599.0812,"o":599.07,"c":599.1,"h":599.12,"l":599.05,"a":598.9433,"z":100,"s":1737124201000,"e":1737124202000},
 {"ev":"A","sym":"O:SPY250117C00590000","v":14,"av":3120,"op":8.95,"vw":9.4121,"o":9.4,"c":9.43,"h":9.45,"l":9.4,"a":9.1877,"z":2,"s":1737124201000,"e":1737124202000},
 {"ev":"A","sym":"I:VIX","op":16.12,"o":15.97,"c":16.0,"h":16.02,"l":15.95,"s":1737124201000,"e":1737124202000},
 {"ev":"V","val":16.01,"T":"I:VIX","t":1737124202350}])";

struct Parsed {
  WsEventParser parser;
  WsFrame frame;
  std::string text;
  void parse(std::string_view json) {
    text.assign(json);
    text.reserve(text.size() + simdjson::SIMDJSON_PADDING);
    frame.clear();
    parser.parse(simdjson::padded_string_view(text), frame);
  }
};

TEST(WsEventParserTest, ParsesContractDataFrame) {
  Parsed p;
  p.parse(kContractFrame);
  const WsFrame& f = p.frame;
  EXPECT_TRUE(f.rejects.empty()) << f.rejects.front().reason;
  EXPECT_TRUE(f.drift.empty()) << f.drift.front().field;
  EXPECT_EQ(f.events_seen, 4u);
  EXPECT_EQ(f.count(WsEventType::A), 3u);
  EXPECT_EQ(f.count(WsEventType::V), 1u);
  ASSERT_EQ(f.aggs.size(), 3u);

  const WsAggEvent& spy = f.aggs[0];
  EXPECT_EQ(spy.symbol, "SPY");
  EXPECT_EQ(spy.kind, WsAggKind::second);
  EXPECT_EQ(spy.bar.ts_ms, 1737124201000);
  EXPECT_EQ(spy.end_ms, 1737124202000);
  EXPECT_DOUBLE_EQ(spy.bar.open, 599.07);
  EXPECT_DOUBLE_EQ(spy.bar.high, 599.12);
  EXPECT_DOUBLE_EQ(spy.bar.low, 599.05);
  EXPECT_DOUBLE_EQ(spy.bar.close, 599.1);
  EXPECT_DOUBLE_EQ(spy.bar.volume, 1200);
  EXPECT_DOUBLE_EQ(spy.bar.vwap, 599.0812);
  EXPECT_EQ(spy.bar.transactions, 0);
  EXPECT_EQ(spy.bar.fields, kBarHasVolume | kBarHasVwap);  // no transactions on the stream
  EXPECT_DOUBLE_EQ(spy.day_open, 598.62);
  EXPECT_DOUBLE_EQ(spy.day_volume, 4215530);
  EXPECT_DOUBLE_EQ(spy.day_vwap, 598.9433);
  EXPECT_DOUBLE_EQ(spy.avg_trade_size, 100);
  EXPECT_EQ(spy.extra, kWsAggHasDayOpen | kWsAggHasEnd | kWsAggHasDayVolume | kWsAggHasDayVwap |
                           kWsAggHasAvgTradeSize);
  EXPECT_FALSE(spy.otc);

  EXPECT_EQ(f.aggs[1].symbol, "O:SPY250117C00590000");
  EXPECT_DOUBLE_EQ(f.aggs[1].bar.close, 9.43);
  EXPECT_DOUBLE_EQ(f.aggs[1].avg_trade_size, 2);

  const WsAggEvent& vix = f.aggs[2];
  EXPECT_EQ(vix.symbol, "I:VIX");
  EXPECT_EQ(vix.bar.fields, 0);  // indices carry no v/vw
  EXPECT_DOUBLE_EQ(vix.bar.volume, 0);
  EXPECT_DOUBLE_EQ(vix.day_open, 16.12);
  EXPECT_DOUBLE_EQ(vix.bar.close, 16.0);
  EXPECT_EQ(vix.extra, kWsAggHasDayOpen | kWsAggHasEnd);
}

TEST(WsEventParserTest, ParsesContractControlFlow) {
  Parsed p;
  const std::pair<std::string_view, WsStatus> cases[] = {
      {R"([{"ev":"status","status":"connected","message":"Connected Successfully"}])", WsStatus::connected},
      {R"([{"ev":"status","status":"auth_success","message":"authenticated"}])", WsStatus::auth_success},
      {R"([{"ev":"status","status":"auth_failed","message":"authentication failed"}])", WsStatus::auth_failed},
      {R"([{"ev":"status","status":"auth_timeout","message":"No authentication request received."}])",
       WsStatus::auth_timeout},
      {R"([{"ev":"status","status":"success","message":"subscribed to: A.SPY"}])", WsStatus::success},
      {R"([{"ev":"status","status":"success","message":"unsubscribed to: AM.SPY"}])", WsStatus::success},
      {R"([{"ev":"status","status":"auth_required","message":"please authenticate"}])", WsStatus::auth_required},
      {R"([{"ev":"status","status":"error","message":"bad topic"}])", WsStatus::error},
      {R"([{"ev":"status","status":"max_connections","message":"Maximum number of websocket connections exceeded. You have reached the connection limit for your account."}])",
       WsStatus::max_connections},
      {R"([{"ev":"status","status":"force_disconnect","message":"x"}])", WsStatus::force_disconnect},
      {R"([{"ev":"status","status":"slow_consumer","message":"x"}])", WsStatus::slow_consumer},
      {R"([{"ev":"status","status":"brand_new","message":"x"}])", WsStatus::unknown},
  };
  for (const auto& [json, status] : cases) {
    p.parse(json);
    ASSERT_EQ(p.frame.statuses.size(), 1u) << json;
    EXPECT_EQ(p.frame.statuses[0].status, status) << json;
    EXPECT_TRUE(p.frame.rejects.empty()) << json;
    EXPECT_EQ(p.frame.count(WsEventType::status), 1u);
  }
  p.parse(R"([{"ev":"status","status":"success","message":"subscribed to: A.SPY"}])");
  EXPECT_EQ(p.frame.statuses[0].message, "subscribed to: A.SPY");
  EXPECT_EQ(p.frame.statuses[0].status_text, "success");
  p.parse(R"([{"ev":"status","status":"brand_new"}])");
  EXPECT_EQ(p.frame.statuses[0].status_text, "brand_new");
  EXPECT_EQ(p.frame.statuses[0].message, "");
}

TEST(WsEventParserTest, StatusesMixedWithDataAndEvFieldNotFirst) {
  Parsed p;
  p.parse(R"([{"ev":"status","status":"success","message":"subscribed to: AM.SPY"},
 {"sym":"SPY","ev":"AM","v":5000,"vw":599.1,"o":599,"c":599.2,"h":599.3,"l":598.9,"s":1737124200000,"e":1737124260000,"otc":true},
 {"ev":"T","sym":"SPY","x":4,"i":"12345","z":1,"p":599.1,"s":100,"c":[12,37],"t":1737124201001,"q":5},
 {"ev":"Q","sym":"SPY","bx":4,"bp":599.0,"bs":3,"ax":7,"ap":599.2,"as":2,"c":0,"i":[604],"t":1737124201002,"q":6,"z":1}])");
  EXPECT_TRUE(p.frame.rejects.empty());
  ASSERT_EQ(p.frame.statuses.size(), 1u);
  ASSERT_EQ(p.frame.aggs.size(), 1u);
  EXPECT_EQ(p.frame.aggs[0].kind, WsAggKind::minute);
  EXPECT_TRUE(p.frame.aggs[0].otc);
  EXPECT_EQ(p.frame.count(WsEventType::T), 1u);
  EXPECT_EQ(p.frame.count(WsEventType::Q), 1u);
  EXPECT_EQ(p.frame.events_seen, 4u);
  EXPECT_TRUE(p.frame.drift.empty());
}

TEST(WsEventParserTest, UnknownAndMalformedEventsAreRejectedWithRawJson) {
  Parsed p;
  p.parse(R"([{"ev":"ZZ","sym":"SPY"},
 {"sym":"SPY","v":1},
 42,
 {"ev":7},
 {"ev":"A","sym":"SPY","v":10,"vw":1,"o":1,"c":1,"h":1,"l":1},
 {"ev":"A","sym":"SPY","v":"ten","vw":1,"o":1,"c":1,"h":1,"l":1,"s":1737124201000},
 {"ev":"A","sym":"SPY","v":10,"vw":1,"o":2,"c":1,"h":1.5,"l":1,"s":1737124201000},
 {"ev":"A","sym":"SPY","v":10,"vw":1,"o":1,"c":1,"h":1,"l":1,"s":1737124201500},
 {"ev":"AM","sym":"SPY","v":10,"vw":1,"o":1,"c":1,"h":1,"l":1,"s":1737124201000},
 {"ev":"A","sym":"SPY","v":-1,"vw":1,"o":1,"c":1,"h":1,"l":1,"s":1737124201000},
 {"ev":"A","sym":"SPY","v":1,"vw":1,"o":1,"c":1,"h":1,"l":1,"s":1737124201000,"e":1737124201000},
 {"ev":"A","sym":"SPY","v":1,"vw":1,"o":1,"c":1,"h":1,"l":1,"s":1737124201000,"e":1737124202000}])");
  ASSERT_EQ(p.frame.aggs.size(), 1u);
  ASSERT_EQ(p.frame.rejects.size(), 11u);
  const auto& r = p.frame.rejects;
  EXPECT_EQ(r[0].reason, "unknown event type \"ZZ\"");
  EXPECT_EQ(r[0].raw_json, R"({"ev":"ZZ","sym":"SPY"})");
  EXPECT_EQ(r[1].reason, "event has no \"ev\" string");
  EXPECT_EQ(r[1].raw_json, R"({"sym":"SPY","v":1})");
  EXPECT_EQ(r[2].reason, "event is not a JSON object");
  EXPECT_EQ(r[2].raw_json, "42");
  EXPECT_EQ(r[3].reason, "event has no \"ev\" string");
  EXPECT_EQ(r[4].reason, "required field missing (sym, s, o, h, l, c, v)");
  EXPECT_EQ(r[5].reason, "field has the wrong type");
  EXPECT_EQ(r[6].reason, "open outside [low, high]");
  EXPECT_EQ(r[7].reason, "timestamp not on a bar boundary");
  EXPECT_EQ(r[8].reason, "timestamp not on a bar boundary");  // AM on a minute
  EXPECT_EQ(r[9].reason, "negative volume");
  EXPECT_EQ(r[10].reason, "window end not after window start");
  EXPECT_EQ(p.frame.events_seen, 12u);
  ASSERT_EQ(p.frame.drift.size(), 1u);  // v as a string
  EXPECT_EQ(p.frame.drift[0].field, "A.v");
  EXPECT_EQ(p.frame.drift[0].kind, DriftKind::type_changed);
}

TEST(WsEventParserTest, TimestampsAsDoublesMustBeWholeInt64s) {
  // 1.7e12-style timestamps are read; ones an int64 cannot hold are the wrong type,
  // never an undefined conversion (found by the ws_frame fuzz target).
  Parsed p;
  p.parse(R"([{"ev":"A","sym":"SPY","v":1,"vw":1,"o":1,"c":1,"h":1,"l":1,"s":1.737124201e12,"e":1737124202000},
 {"ev":"A","sym":"SPY","v":1,"vw":1,"o":1,"c":1,"h":1,"l":1,"s":1.1e49,"e":1737124202000},
 {"ev":"A","sym":"SPY","v":1,"vw":1,"o":1,"c":1,"h":1,"l":1,"s":-9.3e18,"e":1737124202000},
 {"ev":"A","sym":"SPY","v":1,"vw":1,"o":1,"c":1,"h":1,"l":1,"s":1737124201000.5,"e":1737124202000}])");
  ASSERT_EQ(p.frame.aggs.size(), 1u);
  EXPECT_EQ(p.frame.aggs[0].bar.ts_ms, 1737124201000);
  ASSERT_EQ(p.frame.rejects.size(), 3u);
  for (const auto& r : p.frame.rejects) EXPECT_EQ(r.reason, "field has the wrong type") << r.raw_json;
}

TEST(WsEventParserTest, BrokenFramesNeverThrow) {
  Parsed p;
  for (std::string_view json : {std::string_view(""), std::string_view("not json"),
                                std::string_view(R"({"ev":"status"})"), std::string_view(R"([{"ev":"A","sym":)"),
                                std::string_view(R"([{"ev":"A","sym":"SPY","o":}])"), std::string_view("[1,2")}) {
    EXPECT_NO_THROW(p.parse(json)) << json;
    EXPECT_FALSE(p.frame.rejects.empty()) << json;
    EXPECT_TRUE(p.frame.aggs.empty()) << json;
  }
  p.parse("[]");
  EXPECT_TRUE(p.frame.rejects.empty());
  EXPECT_EQ(p.frame.events_seen, 0u);
}

TEST(WsEventParserTest, UnlistedFieldsAreDriftOncePerFrame) {
  Parsed p;
  p.parse(R"([{"ev":"A","sym":"SPY","v":1,"vw":1,"o":1,"c":1,"h":1,"l":1,"s":1737124201000,"zz":{"x":1},"dv":"1.5","dav":"9.25"},
 {"ev":"A","sym":"SPY","v":1,"vw":1,"o":1,"c":1,"h":1,"l":1,"s":1737124202000,"zz":2},
 {"ev":"A","sym":"QQQ","v":1,"o":1,"c":1,"h":1,"l":1,"s":1737124202000},
 {"ev":"status","status":"success","message":"m","request_id":"r1"}])");
  EXPECT_TRUE(p.frame.rejects.empty());
  EXPECT_EQ(p.frame.aggs.size(), 3u);
  ASSERT_EQ(p.frame.drift.size(), 3u);
  EXPECT_EQ(p.frame.drift[0].field, "A.zz");
  EXPECT_EQ(p.frame.drift[0].kind, DriftKind::unknown_field);
  EXPECT_EQ(p.frame.drift[0].example, R"({"x":1})");
  EXPECT_EQ(p.frame.drift[1].field, "A.vw");
  EXPECT_EQ(p.frame.drift[1].kind, DriftKind::missing_optional_field);
  EXPECT_EQ(p.frame.drift[2].field, "status.request_id");
  EXPECT_EQ(p.frame.aggs[2].bar.fields, kBarHasVolume);
}

TEST(WsEventParserTest, IndexBarsNeedNoVolumeAndOtherShapesAreCounted) {
  Parsed p;
  p.parse(R"([{"ev":"AM","sym":"I:SPX","op":5900.1,"o":5901,"c":5902,"h":5903,"l":5900,"s":1737124200000,"e":1737124260000},
 {"ev":"V","val":16.01,"T":"I:VIX","t":1737124202350},{"ev":"FMV","fmv":1.2,"sym":"SPY","t":1},
 {"ev":"LULD","T":"SPY"},{"ev":"NOI","T":"SPY"},{"ev":"LV","sym":"SPY"},{"ev":"XA","pair":"BTC-USD"}])");
  EXPECT_TRUE(p.frame.rejects.empty());
  ASSERT_EQ(p.frame.aggs.size(), 1u);
  EXPECT_EQ(p.frame.aggs[0].bar.fields, 0);
  EXPECT_EQ(p.frame.count(WsEventType::V), 1u);
  EXPECT_EQ(p.frame.count(WsEventType::FMV), 1u);
  EXPECT_EQ(p.frame.count(WsEventType::XA), 1u);
  EXPECT_TRUE(p.frame.drift.empty());
}

TEST(WsEventParserTest, UnpaddedOverloadAndEscapedStrings) {
  WsEventParser parser;
  WsFrame frame;
  const std::string json =
      R"([{"ev":"status","status":"error","message":"bad \"topic\" \u00e9"},{"ev":"A","sym":"S\u0050Y","v":1,"vw":1,"o":1,"c":1,"h":1,"l":1,"s":1.737124201e12}])";
  parser.parse(std::string_view(json), frame);
  ASSERT_EQ(frame.statuses.size(), 1u);
  EXPECT_EQ(frame.statuses[0].message, "bad \"topic\" \xc3\xa9");
  ASSERT_EQ(frame.aggs.size(), 1u);
  EXPECT_EQ(frame.aggs[0].symbol, "SPY");
  EXPECT_EQ(frame.aggs[0].bar.ts_ms, 1737124201000);
}

TEST(WsEventParserTest, ValidateWsAggAppliesTheDataRules) {
  WsAggEvent e;
  e.bar = Bar{1737124201000, 1, 2, 0.5, 1.5, 10, 1.2, 0, kBarHasVolume};
  EXPECT_EQ(validate_ws_agg(e), nullptr);
  e.bar.low = 0;
  EXPECT_STREQ(validate_ws_agg(e), "non-positive price");
  e.bar.low = 0.5;
  e.kind = WsAggKind::minute;
  EXPECT_STREQ(validate_ws_agg(e), "timestamp not on a bar boundary");
  EXPECT_EQ(to_string(WsStatus::max_connections), "max_connections");
  EXPECT_EQ(ws_status_from("slow_consumer"), WsStatus::slow_consumer);
  EXPECT_EQ(ws_status_from("nope"), WsStatus::unknown);
}

}  // namespace
}  // namespace soi
