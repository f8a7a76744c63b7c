// The simulator's WebSocket protocol pieces (topics, numbers, clock) and the
// control flow: connected, auth, subscribe/unsubscribe, auth errors, timeouts.
#include "simulator_ws_test_support.hpp"

namespace soi::sim {
namespace {

using namespace soi::sim::ws_test;
using namespace soi::sim::test;
using std::chrono::milliseconds;

// ---------------------------------------------------------------- protocol

TEST(WsProtocolTest, TopicsAreSplitTrimmedAndValidated) {
  auto t = parse_ws_topics(" A.SPY,AM.SPY ,, A.* ,X.SPY,nodot", WsMarket::stocks);
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0].ev, "A");
  EXPECT_EQ(t[0].sym, "SPY");
  EXPECT_EQ(t[1].text, "AM.SPY");
  EXPECT_EQ(t[2].sym, "*");
  EXPECT_NE(t[3].error.find("unknown event type 'X'"), std::string::npos);
  EXPECT_NE(t[4].error.find("invalid topic"), std::string::npos);
  EXPECT_TRUE(parse_ws_topics("A.O:SPY250117C00590000", WsMarket::options)[0].error.empty());
  EXPECT_FALSE(parse_ws_topics("LULD.I:VIX", WsMarket::indices)[0].error.empty());
}

TEST(WsProtocolTest, NumbersRoundTripExactly) {
  for (double x : {599.1, 599.0, 0.01, 16.0, 598.9433, 1234567.89, -2.5, 1e-7, 12345.678901, 4215530.0}) {
    std::string s;
    append_ws_number(s, x);
    EXPECT_EQ(std::stod(s), x) << s;
  }
  std::string s;
  append_ws_number(s, 599.10);
  EXPECT_EQ(s, "599.1");
}

TEST(WsClockTest, SpeedStartAndAdvance) {
  std::int64_t base = 1'000'000;
  SimClock fast([&] { return base; }, 5'000, 60.0);
  EXPECT_EQ(fast.now_ms(), 5'000);
  base += 1000;
  EXPECT_EQ(fast.now_ms(), 65'000);
  SimClock zero([&] { return base; }, 5'000, 0.0);
  zero.advance_to(9'000);
  zero.advance_to(7'000);
  EXPECT_EQ(zero.now_ms(), 9'000);
  SimClock real([&] { return base; }, std::nullopt, 1.0);
  base += 42;
  EXPECT_EQ(real.now_ms(), base);
  EXPECT_THROW(SimClock::parse_start("yesterday"), SoiError);
  EXPECT_EQ(*SimClock::parse_start(kStart), ny(9, 29));
}

// ---------------------------------------------------------------- control flow

TEST(WsFlowTest, ConnectedAuthSubscribeUnsubscribe) {
  auto server = start_server(ws_options());
  WsClient c;
  open_session(c, *server);
  subscribe(c, {"A.SPY", "AM.SPY"});
  c.unsubscribe("AM.SPY");
  c.send(R"({"action":"dance","params":"x"})");
  // Data already flows (speed 0): statuses arrive between data frames.
  std::vector<Event> statuses;
  read_events(c, [&](auto&) { return statuses.size() >= 2; }, milliseconds(500), &statuses);
  ASSERT_EQ(statuses.size(), 2u);
  EXPECT_EQ(statuses[0].status, "success");
  EXPECT_EQ(statuses[0].message, "unsubscribed to: AM.SPY");
  EXPECT_EQ(statuses[1].status, "error");
  EXPECT_NE(statuses[1].message.find("unknown action 'dance'"), std::string::npos);
  EXPECT_EQ(ws_counter(*server, "connections"), 1u);
  EXPECT_EQ(ws_counter(*server, "auth_success"), 1u);
}

TEST(WsFlowTest, WrongKeyGetsAuthFailedAndAClose) {
  auto options = ws_options();
  options.api_key = "right-key";
  auto server = start_server(options);
  WsClient c;
  ASSERT_TRUE(c.connect(server->port(), "/stocks"));
  ASSERT_EQ(read_status(c)->status, "connected");
  c.auth("wrong-key");
  auto st = read_status(c);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->status, "auth_failed");
  EXPECT_EQ(st->message, "authentication failed");
  EXPECT_FALSE(c.read());
  EXPECT_TRUE(c.closed());
  EXPECT_FALSE(c.timed_out());
  EXPECT_EQ(ws_counter(*server, "auth_failures"), 1u);

  WsClient ok;
  open_session(ok, *server, "/stocks", "right-key");
}

TEST(WsFlowTest, SubscribeBeforeAuthIsAuthRequiredAndBadTopicsAreErrors) {
  auto server = start_server(ws_options());
  WsClient c;
  ASSERT_TRUE(c.connect(server->port(), "/indices"));
  ASSERT_EQ(read_status(c)->status, "connected");
  c.subscribe("A.I:VIX");
  auto st = read_status(c);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->status, "auth_required");
  c.send("not json");
  EXPECT_EQ(read_status(c)->status, "error");
  c.auth();
  EXPECT_EQ(read_status(c)->status, "auth_success");
  c.subscribe("T.I:VIX");
  st = read_status(c);
  EXPECT_EQ(st->status, "error");
  EXPECT_NE(st->message.find("unknown event type 'T'"), std::string::npos);
}

TEST(WsFlowTest, NoAuthInTimeIsAuthTimeout) {
  auto options = ws_options();
  options.config.ws_auth_timeout_ms = 100;
  auto server = start_server(options);
  WsClient c;
  ASSERT_TRUE(c.connect(server->port(), "/stocks"));
  ASSERT_EQ(read_status(c)->status, "connected");
  auto st = read_status(c);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->status, "auth_timeout");
  EXPECT_EQ(st->message, "No authentication request received.");
  EXPECT_FALSE(c.read());
  EXPECT_FALSE(c.timed_out());
  EXPECT_EQ(ws_counter(*server, "auth_timeouts"), 1u);
}

TEST(WsFlowTest, UnknownMarketPathIs404) {
  auto server = start_server(ws_options());
  WsClient c;
  EXPECT_FALSE(c.connect(server->port(), "/forex"));
  EXPECT_EQ(server->router().stats().requests(Endpoint::websocket), 1u);
}

}  // namespace
}  // namespace soi::sim
