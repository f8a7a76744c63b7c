// The simulator's WebSocket faults (close, drop, stall, malformed, unknown
// events, late bars, refused auth, max connections) and its limits
// (connections per market and key, slow consumers, prompt stop).
#include "simulator_ws_test_support.hpp"

namespace soi::sim {
namespace {

using namespace soi::sim::ws_test;
using namespace soi::sim::test;
using std::chrono::milliseconds;

// ---------------------------------------------------------------- faults

TEST(WsFaultTest, SpecsParse) {
  auto f = parse_fault_spec("ws_close:at=09:45:30:mode=drop:first=1");
  EXPECT_EQ(f.kind, FaultKind::ws_close);
  EXPECT_EQ(*f.at_s, 9 * 3600 + 45 * 60 + 30);
  EXPECT_TRUE(f.drop_connection);
  EXPECT_EQ(*parse_fault_spec("ws_stall").every_s, 60);
  EXPECT_EQ(parse_fault_spec("ws_stall:duration_ms=250:every_s=5").duration_ms, 250);
  EXPECT_EQ(parse_fault_spec("ws_late:lag_s=30").lag_s, 30);
  EXPECT_THROW(parse_fault_spec("ws_close:at=25:00"), SoiError);
  EXPECT_THROW(parse_fault_spec("ws_refuse_auth:at=09:30"), SoiError);
  EXPECT_THROW(parse_fault_spec("rate_limit:every_s=5"), SoiError);
  // REST requests never see ws faults.
  FaultInjector injector({parse_fault_spec("ws_close:first=1")}, 1);
  EXPECT_FALSE(injector.decide("/v2/aggs/ticker/SPY").any());
  EXPECT_EQ(injector.decide_ws("/stocks").size(), 1u);
  EXPECT_EQ(injector.decide_ws("/stocks").size(), 0u);
}

TEST(WsFaultTest, CloseEveryMinuteAndTheReconnectResumes) {
  auto options = ws_options(0);
  options.config.faults = {"ws_close:every_s=60"};
  auto server = start_server(options);
  WsClient c;
  open_session(c, *server);
  subscribe(c, {"A.SPY"});
  auto first = read_events(c, [](auto&) { return false; });
  EXPECT_TRUE(c.closed());
  EXPECT_FALSE(c.timed_out());
  EXPECT_EQ(c.close_reason().code, websocket::close_code::going_away);
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first.front().s, ny(9, 30));
  EXPECT_LT(first.back().s, ny(9, 31));
  EXPECT_GE(first.back().s, ny(9, 30, 55));

  WsClient again;
  open_session(again, *server);
  subscribe(again, {"A.SPY"});
  auto second = read_events(again, [](auto&) { return false; });
  ASSERT_FALSE(second.empty());
  EXPECT_GE(second.front().s, ny(9, 31));
  EXPECT_LT(second.front().s, ny(9, 31, 5));
  EXPECT_LT(second.back().s, ny(9, 32));
  EXPECT_EQ(fault_counter(*server, "ws_close"), 2u);
}

TEST(WsFaultTest, DropModeClosesWithoutACloseFrame) {
  auto options = ws_options(0);
  options.config.faults = {"ws_close:at=09:30:10:mode=drop"};
  auto server = start_server(options);
  WsClient c;
  open_session(c, *server);
  subscribe(c, {"A.SPY"});
  auto events = read_events(c, [](auto&) { return false; });
  EXPECT_TRUE(c.closed());
  EXPECT_NE(c.close_error(), websocket::error::closed);
  ASSERT_FALSE(events.empty());
  EXPECT_LT(events.back().s, ny(9, 30, 10));
}

TEST(WsFaultTest, StallPausesTheStream) {
  auto options = ws_options(0);
  options.config.faults = {"ws_stall:at=09:30:10:duration_ms=600"};
  auto server = start_server(options);
  WsClient c;
  open_session(c, *server);
  subscribe(c, {"A.SPY"});
  auto before = read_events(c, [](const std::vector<Event>& ev) { return ev.back().s >= ny(9, 30, 9); });
  const auto t0 = std::chrono::steady_clock::now();
  auto after = read_events(c, [](const std::vector<Event>& ev) { return ev.back().s >= ny(9, 30, 10); });
  const double gap = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_FALSE(after.empty());
  EXPECT_GE(gap, 0.4);
  EXPECT_EQ(fault_counter(*server, "ws_stall"), 1u);
}

TEST(WsFaultTest, MalformedUnknownEventAndLateFrames) {
  auto options = ws_options(0);
  options.config.faults = {"ws_malformed:at=09:30:05", "ws_unknown_event:at=09:30:06", "ws_late:at=09:30:20:lag_s=10"};
  auto server = start_server(options);
  WsClient c;
  open_session(c, *server);
  subscribe(c, {"A.SPY"});
  int malformed = 0, unknown = 0, late = 0;
  std::int64_t latest = 0;
  while (auto frame = c.read(milliseconds(2000))) {
    bool ok = false;
    auto events = parse_frame(*frame, &ok);
    if (!ok) {
      ++malformed;
      continue;
    }
    for (auto& e : events) {
      if (e.ev == "ZZ") ++unknown;
      if (e.ev != "A") continue;
      if (e.s < latest) {
        ++late;
        EXPECT_LE(e.s, ny(9, 30, 10));
      }
      latest = std::max(latest, e.s);
    }
    if (latest >= ny(9, 30, 30)) break;
  }
  EXPECT_EQ(malformed, 1);
  EXPECT_EQ(unknown, 1);
  EXPECT_EQ(late, 1);
  EXPECT_EQ(fault_counter(*server, "ws_malformed"), 1u);
  EXPECT_EQ(fault_counter(*server, "ws_unknown_event"), 1u);
  EXPECT_EQ(fault_counter(*server, "ws_late"), 1u);
}

TEST(WsFaultTest, LateBarFromThePreviousDayEqualsRest) {
  auto options = ws_options(0);
  options.config.faults = {"ws_late:at=09:30:20:lag_s=86400"};
  auto server = start_server(options);
  WsClient c;
  open_session(c, *server);
  subscribe(c, {"A.SPY"});
  auto events = read_events(c, [](const std::vector<Event>& ev) { return ev.back().s >= ny(9, 30, 30); });
  std::vector<Event> late;
  for (auto& e : events)
    if (e.s < ny(0, 0)) late.push_back(e);
  ASSERT_EQ(late.size(), 1u);
  const std::int64_t thursday_0930_20 = ny(9, 30, 20) - 86'400'000;
  EXPECT_LE(late[0].s, thursday_0930_20);
  EXPECT_GE(late[0].s, thursday_0930_20 - 10'000);
  Json holder("{}");
  auto rest = rest_bars(*server, holder, "SPY", late[0].s, late[0].s);
  expect_equal_to_rest(late, rest, false);
}

TEST(WsFaultTest, RefuseAuthAndMaxConnectionsFaults) {
  auto options = ws_options(0);
  options.config.faults = {"ws_refuse_auth:first=1", "ws_max_connections:every=2:path=/indices"};
  auto server = start_server(options);
  WsClient refused;
  ASSERT_TRUE(refused.connect(server->port(), "/stocks"));
  read_status(refused);
  refused.auth();
  EXPECT_EQ(read_status(refused)->status, "auth_failed");
  EXPECT_FALSE(refused.read());
  WsClient ok;
  open_session(ok, *server);

  WsClient i1, i2;
  open_session(i1, *server, "/indices");
  ASSERT_TRUE(i2.connect(server->port(), "/indices"));
  read_status(i2);
  i2.auth();
  auto st = read_status(i2);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->status, "max_connections");
  EXPECT_NE(st->message.find("Maximum number of websocket connections exceeded"), std::string::npos);
  EXPECT_FALSE(i2.read());
  EXPECT_EQ(fault_counter(*server, "ws_refuse_auth"), 1u);
  EXPECT_EQ(fault_counter(*server, "ws_max_connections"), 1u);
}

TEST(WsLimitTest, MaxConnectionsPerMarketAndKey) {
  auto options = ws_options(0);
  options.config.ws_max_connections = 1;
  auto server = start_server(options);
  auto first = std::make_unique<WsClient>();
  open_session(*first, *server);
  WsClient other_market, other_key;
  open_session(other_market, *server, "/options");
  open_session(other_key, *server, "/stocks", "another-key");

  WsClient second;
  ASSERT_TRUE(second.connect(server->port(), "/stocks"));
  read_status(second);
  second.auth();
  EXPECT_EQ(read_status(second)->status, "max_connections");
  EXPECT_FALSE(second.read());
  EXPECT_EQ(ws_counter(*server, "max_connections"), 1u);

  first.reset();  // closes the socket: the slot frees once the server notices
  bool reopened = false;
  for (int i = 0; i < 40 && !reopened; ++i) {
    std::this_thread::sleep_for(milliseconds(25));
    WsClient retry;
    ASSERT_TRUE(retry.connect(server->port(), "/stocks"));
    read_status(retry);
    retry.auth();
    reopened = read_status(retry)->status == "auth_success";
  }
  EXPECT_TRUE(reopened);
}

TEST(WsLimitTest, SlowConsumerIsDisconnected) {
  auto options = ws_options(20000, "2025-01-17T09:30:00-05:00");
  options.config.ws_buffer_limit_kb = 64;
  auto server = start_server(options);
  WsClient c;
  open_session(c, *server);
  subscribe(c, {"A.*"});
  std::this_thread::sleep_for(milliseconds(1500));  // not reading while a day streams at 20000x
  std::vector<Event> statuses;
  const auto t0 = std::chrono::steady_clock::now();
  read_events(c, [](auto&) { return false; }, milliseconds(3000), &statuses);
  EXPECT_TRUE(c.closed());
  EXPECT_FALSE(c.timed_out());
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 3.0);
  EXPECT_EQ(ws_counter(*server, "slow_consumers"), 1u);
  // The session leaves the active count when its teardown has run on the
  // server's thread, which can be just after the client sees the close.
  for (int i = 0; i < 100 && ws_counter(*server, "active") != 0; ++i) std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(ws_counter(*server, "active"), 0u);
}

TEST(WsLimitTest, StopEndsOpenSessionsPromptly) {
  auto server = start_server(ws_options(1));
  WsClient c;
  open_session(c, *server);
  subscribe(c, {"A.SPY"});
  const auto t0 = std::chrono::steady_clock::now();
  server->stop();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
  EXPECT_FALSE(c.read(milliseconds(1000)));
  EXPECT_FALSE(c.timed_out());
}

}  // namespace
}  // namespace soi::sim
