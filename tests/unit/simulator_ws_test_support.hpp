// Shared by the simulator WebSocket tests: a small synchronous Beast client,
// frame parsing, the pinned trading day and the server options they start with.
#pragma once

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

namespace soi::sim::ws_test {

using namespace soi::sim::test;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using std::chrono::milliseconds;

inline const Date kDay{date::year{2025}, date::month{1}, date::day{17}};  // a Friday
inline std::int64_t ny(int h, int m, int s = 0) { return ny_wall_to_utc_ms(kDay, h * 60 + m) + s * 1000LL; }
inline const std::string kStart = "2025-01-17T09:29:00-05:00";

inline SimulatorOptions ws_options(double speed = 0, const std::string& start = kStart) {
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
inline std::vector<Event> parse_frame(const std::string& frame, bool* ok = nullptr) {
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

inline std::optional<Event> read_status(WsClient& c) {
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
inline void subscribe(WsClient& c, const std::vector<std::string>& topics) {
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
inline std::vector<simdjson::dom::element> rest_bars(SimulatorServer& server, Json& holder_out, const std::string& ticker,
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

inline std::uint64_t ws_counter(SimulatorServer& s, std::string_view name) {
  Json doc(http_get(s.base_url() + "/_sim/stats", GetOptions{""}).body);
  return static_cast<std::uint64_t>(int_of(doc["websocket"], name));
}

inline std::uint64_t fault_counter(SimulatorServer& s, std::string_view name) {
  Json doc(http_get(s.base_url() + "/_sim/stats", GetOptions{""}).body);
  return static_cast<std::uint64_t>(int_of(doc["faults"], name));
}

}  // namespace soi::sim::ws_test
