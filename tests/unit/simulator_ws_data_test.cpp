// The simulator's WebSocket data: per-second events equal to the REST
// aggregates, only subscribed symbols, indices and options, the clock at speed 0
// and above, nothing outside the session, a whole day reaching one reader.
#include "simulator_ws_test_support.hpp"

namespace soi::sim {
namespace {

using namespace soi::sim::ws_test;
using namespace soi::sim::test;
using std::chrono::milliseconds;

// ---------------------------------------------------------------- data

TEST(WsDataTest, SpeedZeroStreamsTheWholeSessionEqualToRest) {
  auto server = start_server(ws_options(0));
  WsClient c;
  open_session(c, *server);
  subscribe(c, {"A.SPY", "AM.SPY"});
  const auto started = std::chrono::steady_clock::now();
  std::vector<Event> all = read_events(
      c, [](const std::vector<Event>& ev) { return ev.back().ev == "AM" && ev.back().e == ny(16, 0); });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_LT(seconds, 5.0);
  std::vector<Event> a, am;
  for (auto& e : all) (e.ev == "A" ? a : am).push_back(e);
  // The stream went quiet at the close; REST "now" followed the stream.
  EXPECT_FALSE(c.read(milliseconds(300)));
  EXPECT_EQ(server->clock().now_ms(), ny(16, 0));

  Json holder("{}");
  const auto rest = rest_bars(*server, holder, "SPY", ny(9, 30), ny(16, 0) - 1000);
  ASSERT_GT(rest.size(), 20000u);
  expect_equal_to_rest(a, rest, false);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].sym, "SPY");
    EXPECT_EQ(a[i].op, a[0].o);  // the day's official open
    if (i > 0) {
      EXPECT_GT(a[i].av, a[i - 1].av);
    }
    EXPECT_GE(a[i].a, 0);
    EXPECT_EQ(a[i].keys, (std::set<std::string>{"ev", "sym", "v", "av", "op", "vw", "o", "c", "h", "l", "a", "z",
                                                 "s", "e"}));
  }
  // AM equals REST minute bars.
  Json minutes(http_get(server->base_url() + "/v2/aggs/ticker/SPY/range/1/minute/" + std::to_string(ny(9, 30)) + "/" +
                        std::to_string(ny(15, 59)) + "?limit=50000",
                        GetOptions{})
                   .body);
  std::vector<simdjson::dom::element> rest_minutes;
  for (auto b : minutes["results"].get_array()) rest_minutes.push_back(b);
  ASSERT_EQ(am.size(), 390u);
  ASSERT_EQ(rest_minutes.size(), 390u);
  for (std::size_t i = 0; i < am.size(); ++i) {
    EXPECT_EQ(am[i].s, int_of(rest_minutes[i], "t"));
    EXPECT_EQ(am[i].e, am[i].s + 60000);
    EXPECT_EQ(am[i].c, num(rest_minutes[i], "c"));
    EXPECT_EQ(am[i].v, num(rest_minutes[i], "v"));
    EXPECT_EQ(am[i].vw, num(rest_minutes[i], "vw"));
  }
  EXPECT_EQ(ws_counter(*server, "events"), all.size());
}

TEST(WsDataTest, OnlySubscribedSymbolsAndWildcardCoversTheMarket) {
  auto server = start_server(ws_options(0));
  WsClient c;
  open_session(c, *server);
  subscribe(c, {"A.*", "A.I:VIX"});  // an index on /stocks: accepted, never streamed
  auto events = read_events(c, [](const std::vector<Event>& ev) { return ev.back().s >= ny(9, 31); });
  std::set<std::string> syms;
  for (auto& e : events) syms.insert(e.sym);
  EXPECT_EQ(syms, (std::set<std::string>{"AAPL", "AMZN", "DIA", "IWM", "MSFT", "NVDA", "QQQ", "SPY"}));
  // Time order across symbols.
  for (std::size_t i = 1; i < events.size(); ++i) EXPECT_LE(events[i - 1].s, events[i].s);

  WsClient one;
  open_session(one, *server);
  subscribe(one, {"A.QQQ"});
  auto qqq = read_events(one, [](const std::vector<Event>& ev) { return ev.size() >= 200; });
  ASSERT_GE(qqq.size(), 200u);
  for (auto& e : qqq) EXPECT_EQ(e.sym, "QQQ");
}

TEST(WsDataTest, IndicesCarryOnlyTheirFieldsAndEqualRest) {
  auto server = start_server(ws_options(0));
  WsClient c;
  open_session(c, *server, "/indices");
  subscribe(c, {"A.I:VIX"});
  auto events = read_events(c, [](const std::vector<Event>& ev) { return ev.back().s >= ny(9, 40) - 1000; });
  ASSERT_FALSE(events.empty());
  for (auto& e : events)
    EXPECT_EQ(e.keys, (std::set<std::string>{"ev", "sym", "op", "o", "c", "h", "l", "s", "e"}));
  Json holder("{}");
  auto rest = rest_bars(*server, holder, "I:VIX", ny(9, 30), events.back().s);
  expect_equal_to_rest(events, rest, true);
}

TEST(WsDataTest, OptionContractOfTheDayEqualsRest) {
  auto server = start_server(ws_options(0));
  // A near-the-money call listed that day (the synthetic chain as of the day).
  Json chain(http_get(server->base_url() + "/v3/reference/options/contracts?as_of=2025-01-17&expiration_date=2025-01-"
                      "17&contract_type=call&limit=1000")
                 .body);
  std::vector<std::string> tickers;
  for (auto c : chain["results"].get_array()) tickers.push_back(str(c, "ticker"));
  ASSERT_FALSE(tickers.empty());
  const std::string ticker = tickers[tickers.size() / 2];
  WsClient c;
  open_session(c, *server, "/options");
  subscribe(c, {"A." + ticker});
  auto events = read_events(c, [](auto&) { return false; }, milliseconds(1500));  // the whole session
  ASSERT_FALSE(events.empty());
  for (auto& e : events) {
    EXPECT_EQ(e.sym, ticker);
    EXPECT_EQ(e.keys.count("otc"), 0u);
  }
  Json holder("{}");
  auto rest = rest_bars(*server, holder, ticker, ny(9, 30), ny(16, 0) - 1000);
  expect_equal_to_rest(events, rest, false);
  // A.* on options streams exactly the day's chain.
  MarketCalendar calendar;
  SimulatorConfig config;
  SyntheticMarket market(config);
  const auto universe = ws_universe(WsFeedServices{market, market, calendar}, WsMarket::options, kDay);
  EXPECT_EQ(universe.size(), synthetic_chain(market, calendar, kDay, false).size());
  EXPECT_NE(std::find(universe.begin(), universe.end(), ticker), universe.end());
}

TEST(WsDataTest, PositiveSpeedFollowsTheClockAndRestAgrees) {
  // 09:29:58 at 10x: the 09:30:00 second closes at 09:30:01, 0.3 s of wall time later.
  auto server = start_server(ws_options(10, "2025-01-17T09:29:58-05:00"));
  const auto t0 = std::chrono::steady_clock::now();
  WsClient c;
  open_session(c, *server);
  subscribe(c, {"A.SPY"});
  auto events = read_events(c, [](const std::vector<Event>& ev) { return ev.back().s >= ny(9, 30, 5); });
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().s, ny(9, 30));
  EXPECT_GE(wall, 0.75);  // 09:30:06 is 0.8 s of wall time after 09:29:58
  EXPECT_LT(wall, 3.0);
  auto status = http_get(server->base_url() + "/v1/marketstatus/now");
  EXPECT_EQ(str(Json(status.body).root, "market"), "open");
  const std::int64_t now = server->clock().now_ms();
  EXPECT_GE(now, ny(9, 30, 6));
  EXPECT_LT(now, ny(9, 30, 30));
}

TEST(WsDataTest, NothingOutsideTheSession) {
  // Saturday: nothing at any speed until Monday's open (which 60x does not reach here).
  auto server = start_server(ws_options(60, "2025-01-18T12:00:00-05:00"));
  WsClient c;
  open_session(c, *server);
  subscribe(c, {"A.SPY"});
  EXPECT_FALSE(c.read(milliseconds(500)));
  EXPECT_TRUE(c.timed_out());
}

// ---------------------------------------------------------------- throughput

// A whole day at speed 0 reaches one reader complete (the events/s it prints is
// informative only; throughput is measured by benchmarks, not asserted here).
void measure(const std::string& path, const std::string& topic, std::size_t at_least) {
  auto server = start_server(ws_options(0));
  WsClient c;
  open_session(c, *server, path);
  c.subscribe(topic);
  ASSERT_EQ(read_status(c)->status, "success");
  std::size_t events = 0, bytes = 0;
  std::optional<std::chrono::steady_clock::time_point> t0;
  while (auto frame = c.read(milliseconds(t0 ? 1000 : 60000))) {  // the first waits for the day's bars
    if (!t0) t0 = std::chrono::steady_clock::now();  // after the day's bars were generated
    bytes += frame->size();
    for (std::size_t p = frame->find("\"ev\":\"A\""); p != std::string::npos; p = frame->find("\"ev\":\"A\"", p + 8))
      ++events;
  }
  ASSERT_TRUE(t0);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - *t0).count() - 1.0;  // minus the quiet wait
  EXPECT_GE(events, at_least);
  std::printf("[ throughput ] %s %s: %zu events, %.1f MB in %.3f s = %.0f events/s\n", path.c_str(), topic.c_str(),
              events, static_cast<double>(bytes) / 1e6, seconds, static_cast<double>(events) / seconds);
}

TEST(WsThroughputTest, StocksWildcardDay) { measure("/stocks", "A.*", 150000); }

}  // namespace
}  // namespace soi::sim
