// The simulator's WebSocket feed against a small synchronous Beast client:
// handshake/auth/subscribe flow, data equal to the REST aggregates, the
// simulated clock at speed 0 and > 0, every ws_* fault, slow consumers and the
// connection limit.
#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "simulator/contracts_endpoint.hpp"
#include "simulator/sim_clock.hpp"
#include "simulator/ws_feed.hpp"
#include "simulator/ws_protocol.hpp"
#include "simulator_test_support.hpp"
#include "utils/error.hpp"

namespace soi::sim {
namespace {

using namespace soi::sim::test;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using std::chrono::milliseconds;

const Date kDay{date::year{2025}, date::month{1}, date::day{17}};  // a Friday
std::int64_t ny(int h, int m, int s = 0) { return ny_wall_to_utc_ms(kDay, h * 60 + m) + s * 1000LL; }
const std::string kStart = "2025-01-17T09:29:00-05:00";

SimulatorOptions ws_options(double speed = 0, const std::string& start = kStart) {
  SimulatorOptions o;
  o.config.seed = 42;
  o.config.ws_speed = speed;
  o.config.ws_start = start;
  return o;
}

// A synchronous client whose reads time out (async read + run_for).
class WsClient {
 public:
  bool connect(int port, const std::string& path) {
    error_code_.clear();
    tcp::resolver resolver(ioc_);
    beast::error_code ec;
    net::connect(ws_.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)), ec);
    if (!ec) ws_.handshake("127.0.0.1", path, ec);
    if (ec) error_code_ = ec.message();
    return !ec;
  }

  // One text frame, or nullopt on timeout / close / error (closed() tells which).
  std::optional<std::string> read(milliseconds timeout = milliseconds(5000)) {
    if (closed_) return std::nullopt;
    std::optional<std::string> out;
    bool done = false;
    ws_.async_read(buffer_, [&](beast::error_code ec, std::size_t) {
      done = true;
      if (ec) {
        closed_ = true;
        close_error_ = ec;
        return;
      }
      out = beast::buffers_to_string(buffer_.data());
      buffer_.consume(buffer_.size());
    });
    ioc_.restart();
    ioc_.run_for(timeout);
    if (!done) {
      timed_out_ = true;
      closed_ = true;
      beast::error_code ignored;
      ws_.next_layer().close(ignored);
      ioc_.restart();
      ioc_.run_for(milliseconds(500));
    }
    return out;
  }

  void send(const std::string& text) {
    beast::error_code ec;
    ws_.write(net::buffer(text), ec);
  }
  void auth(const std::string& key = "test-key") { send(R"({"action":"auth","params":")" + key + R"("})"); }
  void subscribe(const std::string& topics) { send(R"({"action":"subscribe","params":")" + topics + R"("})"); }
  void unsubscribe(const std::string& topics) { send(R"({"action":"unsubscribe","params":")" + topics + R"("})"); }

  bool closed() const { return closed_; }
  bool timed_out() const { return timed_out_; }
  beast::error_code close_error() const { return close_error_; }
  websocket::close_reason close_reason() const { return ws_.reason(); }
  tcp::socket& socket() { return ws_.next_layer(); }

 private:
  net::io_context ioc_;
  websocket::stream<tcp::socket> ws_{ioc_};
  beast::flat_buffer buffer_;
  bool closed_ = false, timed_out_ = false;
  beast::error_code close_error_;
  std::string error_code_;
};

struct Event {
  std::string ev, sym, status, message;
  std::int64_t s = 0, e = 0;
  double o = 0, h = 0, l = 0, c = 0, v = -1, av = -1, vw = -1, op = 0, a = -1, z = -1;
  std::set<std::string> keys;
};

// Every object of one frame; ok = false when the frame is not a JSON array.
std::vector<Event> parse_frame(const std::string& frame, bool* ok = nullptr) {
  std::vector<Event> out;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const bool valid = parser.parse(frame).get(root) == simdjson::SUCCESS && root.is_array();
  if (ok) *ok = valid;
  if (!valid) return out;
  for (simdjson::dom::element item : root.get_array()) {
    Event e;
    for (auto field : item.get_object()) e.keys.insert(std::string(field.key));
    const auto get = [&](std::string_view k, double& target) {
      if (has_key(item, k)) target = num(item, k);
    };
    e.ev = str(item, "ev");
    if (e.ev == "status") {
      e.status = str(item, "status");
      e.message = str(item, "message");
    } else {
      if (has_key(item, "sym")) e.sym = str(item, "sym");
      if (has_key(item, "s")) e.s = int_of(item, "s");
      if (has_key(item, "e")) e.e = int_of(item, "e");
      get("o", e.o), get("h", e.h), get("l", e.l), get("c", e.c), get("v", e.v), get("av", e.av);
      get("vw", e.vw), get("op", e.op), get("a", e.a), get("z", e.z);
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<Event> read_status(WsClient& c) {
  auto frame = c.read();
  if (!frame) return std::nullopt;
  auto events = parse_frame(*frame);
  if (events.size() != 1 || events[0].ev != "status") return std::nullopt;
  return events[0];
}

// Connects, expects "connected", authenticates, expects auth_success.
void open_session(WsClient& c, SimulatorServer& server, const std::string& path = "/stocks",
                  const std::string& key = "test-key") {
  ASSERT_TRUE(c.connect(server.port(), path));
  auto hello = read_status(c);
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->status, "connected");
  EXPECT_EQ(hello->message, "Connected Successfully");
  c.auth(key);
  auto auth = read_status(c);
  ASSERT_TRUE(auth);
  ASSERT_EQ(auth->status, "auth_success");
  EXPECT_EQ(auth->message, "authenticated");
}

// Subscribes and consumes one success status per topic.
void subscribe(WsClient& c, const std::vector<std::string>& topics) {
  std::string joined;
  for (const auto& t : topics) joined += (joined.empty() ? "" : ", ") + t;
  c.subscribe(joined);
  for (const auto& t : topics) {
    auto st = read_status(c);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->status, "success");
    EXPECT_EQ(st->message, "subscribed to: " + t);
  }
}

// Data events until `stop` says so or the stream is quiet for `quiet`.
template <typename Stop>
std::vector<Event> read_events(WsClient& c, Stop stop, milliseconds quiet = milliseconds(3000),
                               std::vector<Event>* statuses = nullptr) {
  std::vector<Event> out;
  while (true) {
    auto frame = c.read(quiet);
    if (!frame) break;
    for (auto& e : parse_frame(*frame)) {
      if (e.ev == "status") {
        if (statuses) statuses->push_back(e);
        continue;
      }
      out.push_back(std::move(e));
    }
    if (!out.empty() && stop(out)) break;
  }
  return out;
}

// The REST per-second bars of `ticker` for [from, to] (one page).
std::vector<simdjson::dom::element> rest_bars(SimulatorServer& server, Json& holder_out, const std::string& ticker,
                                              std::int64_t from, std::int64_t to) {
  auto r = http_get(server.base_url() + "/v2/aggs/ticker/" + ticker + "/range/1/second/" + std::to_string(from) + "/" +
                    std::to_string(to) + "?limit=50000");
  EXPECT_EQ(r.status, 200) << r.body;
  holder_out = Json(r.body);
  std::vector<simdjson::dom::element> out;
  if (holder_out.has("results"))
    for (auto b : holder_out["results"].get_array()) out.push_back(b);
  return out;
}

void expect_equal_to_rest(const std::vector<Event>& events, const std::vector<simdjson::dom::element>& rest,
                          bool index) {
  ASSERT_EQ(events.size(), rest.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    const auto b = rest[i];
    ASSERT_EQ(e.s, int_of(b, "t")) << i;
    EXPECT_EQ(e.e, e.s + 1000);
    EXPECT_EQ(e.o, num(b, "o")) << i;
    EXPECT_EQ(e.h, num(b, "h")) << i;
    EXPECT_EQ(e.l, num(b, "l")) << i;
    EXPECT_EQ(e.c, num(b, "c")) << i;
    if (!index) {
      EXPECT_EQ(e.v, num(b, "v")) << i;
      EXPECT_EQ(e.vw, num(b, "vw")) << i;
      EXPECT_EQ(e.z, std::llround(num(b, "v") / num(b, "n"))) << i;
    }
  }
}

std::uint64_t ws_counter(SimulatorServer& s, std::string_view name) {
  Json doc(http_get(s.base_url() + "/_sim/stats", GetOptions{""}).body);
  return static_cast<std::uint64_t>(int_of(doc["websocket"], name));
}

std::uint64_t fault_counter(SimulatorServer& s, std::string_view name) {
  Json doc(http_get(s.base_url() + "/_sim/stats", GetOptions{""}).body);
  return static_cast<std::uint64_t>(int_of(doc["faults"], name));
}

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
