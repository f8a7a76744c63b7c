// WsConnection against a tiny scripted Beast WebSocket server on 127.0.0.1:0.
#include "data_sources/ws_client.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>

#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <filesystem>
#include <fstream>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <gtest/gtest.h>

#include "data_sources/ws_event_parser.hpp"
#include "utils/error.hpp"

namespace soi {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using ServerWs = websocket::stream<tcp::socket>;

constexpr std::string_view kKey = "TESTKEYabcdef123456WXYZ";
constexpr std::string_view kConnected = R"([{"ev":"status","status":"connected","message":"Connected Successfully"}])";
constexpr std::string_view kAuthOk = R"([{"ev":"status","status":"auth_success","message":"authenticated"}])";
constexpr std::string_view kBar =
    R"([{"ev":"A","sym":"SPY","v":1200,"av":4215530,"op":598.62,"vw":599.0812,"o":599.07,"c":599.1,"h":599.12,"l":599.05,"a":598.9433,"z":100,"s":1737124201000,"e":1737124202000}])";

void send(ServerWs& ws, std::string_view text) {
  ws.text(true);
  ws.write(net::buffer(text.data(), text.size()));
}

std::string recv(ServerWs& ws) {
  beast::flat_buffer b;
  ws.read(b);
  return beast::buffers_to_string(b.data());
}

std::string subscribed(std::string_view topic) {
  return R"([{"ev":"status","status":"success","message":"subscribed to: )" + std::string(topic) + R"("}])";
}

// Accepts `connections` connections one after the other and runs the script on
// each (with its index). Messages the script records are kept for the test.
class TestServer {
 public:
  using Script = std::function<void(ServerWs&, net::io_context&, int)>;

  explicit TestServer(Script script, int connections = 1)
      : acceptor_(ioc_, tcp::endpoint(net::ip::address_v4::loopback(), 0)), script_(std::move(script)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, connections] {
      for (int i = 0; i < connections; ++i) {
        tcp::socket socket(ioc_);
        boost::system::error_code ec;
        acceptor_.accept(socket, ec);
        if (ec || stopping_) return;
        accepted_ = i + 1;
        try {
          ServerWs ws(std::move(socket));
          ws.accept();
          script_(ws, ioc_, i);
        } catch (const std::exception& e) {
          // The client went away: expected in several scripts.
          if (std::getenv("WS_TEST_DEBUG")) std::fprintf(stderr, "server script %d: %s\n", i, e.what());
        }
      }
    });
  }

  ~TestServer() {
    stopping_ = true;
    // Unblock a pending accept with a throwaway connection.
    boost::system::error_code ec;
    net::io_context ioc;
    tcp::socket poke(ioc);
    poke.connect(tcp::endpoint(net::ip::address_v4::loopback(), port_), ec);
    thread_.join();
  }

  std::string url(std::string_view path = "/stocks") const {
    return "ws://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  void record(std::string message) {
    std::lock_guard lock(mutex_);
    received_.push_back(std::move(message));
  }
  std::vector<std::string> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  int accepted() const { return accepted_; }

 private:
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  Script script_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::mutex mutex_;
  std::vector<std::string> received_;
  std::thread thread_;
};

WsClientOptions fast_options() {
  WsClientOptions o;
  o.source = "spy";
  o.connect_timeout = 2s;
  o.auth_timeout = 2s;
  o.subscribe_timeout = 2s;
  o.ping_interval = 5s;
  o.idle_timeout = 10s;
  return o;
}

// connected -> auth (checked, recorded) -> auth_success
void handshake(ServerWs& ws, TestServer& server) {
  send(ws, kConnected);
  server.record(recv(ws));
  send(ws, kAuthOk);
}

template <class F>
SoiError expect_error(F&& f) {
  try {
    f();
  } catch (const SoiError& e) {
    return e;
  }
  ADD_FAILURE() << "no SoiError thrown";
  return SoiError(ErrorCategory::config, "none");
}

TEST(WsUrlTest, ParsesAndPrintsUrls) {
  auto u = parse_ws_url("wss://socket.massive.com/options");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "socket.massive.com");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.path, "/options");
  EXPECT_EQ(u.market(), "options");
  EXPECT_EQ(u.text(), "wss://socket.massive.com/options");
  u = parse_ws_url("ws://127.0.0.1:8080/futures/cme");
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.market(), "futures/cme");
  EXPECT_EQ(u.text(), "ws://127.0.0.1:8080/futures/cme");
  u = parse_ws_url("ws://[::1]:9000/indices?apiKey=SECRETSECRET");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.path, "/indices?apiKey=SECRETSECRET");
  EXPECT_EQ(u.text(), "ws://[::1]:9000/indices");
  EXPECT_EQ(parse_ws_url("wss://delayed.polygon.io").path, "/");
  for (const char* bad : {"https://x/stocks", "ws://", "ws://user:pw@host/stocks", "ws://h:0/", "ws://h:99999/",
                          "ws://h:12a/", "ws://[::1/"})
    EXPECT_THROW(parse_ws_url(bad), SoiError) << bad;
}

TEST(WsClientTest, FullFlowAuthSubscribeStreamAndServerClose) {
  TestServer server([&](ServerWs& ws, net::io_context&, int) {
    handshake(ws, server);
    std::string first = recv(ws);
    server.record(first);
    send(ws, subscribed("A.SPY"));
    send(ws, kBar);  // data before the last confirmation: must not be lost
    send(ws, subscribed("AM.SPY"));
    server.record(recv(ws));
    send(ws, R"([{"ev":"status","status":"success","message":"subscribed to: A.QQQ"},{"ev":"T","sym":"SPY","p":1}])");
    send(ws, kBar);
    ws.close(websocket::close_reason(websocket::close_code::going_away, "bye"));
  });

  WsClientOptions o = fast_options();
  o.max_topics_per_message = 2;
  WsConnection c(parse_ws_url(server.url()), o);
  c.connect(kKey);
  EXPECT_TRUE(c.is_open());
  const std::vector<std::string> topics = {"A.SPY", "AM.SPY", "A.QQQ"};
  auto result = c.subscribe(topics);
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.confirmed, topics);

  std::string frame;
  WsEventParser parser;
  WsFrame parsed;
  ASSERT_TRUE(c.read_frame(frame));
  EXPECT_EQ(frame, kBar);
  EXPECT_GE(frame.capacity(), frame.size() + simdjson::SIMDJSON_PADDING);
  parser.parse(simdjson::padded_string_view(frame), parsed);
  ASSERT_EQ(parsed.aggs.size(), 1u);
  EXPECT_EQ(parsed.aggs[0].symbol, "SPY");
  ASSERT_TRUE(c.read_frame(frame));  // the mixed status + trade frame
  EXPECT_NE(frame.find("\"T\""), std::string::npos);
  ASSERT_TRUE(c.read_frame(frame));
  EXPECT_EQ(frame, kBar);
  EXPECT_FALSE(c.read_frame(frame));
  EXPECT_EQ(c.close_info().code, 1001);
  EXPECT_EQ(c.close_info().reason, "bye");
  EXPECT_FALSE(c.is_open());
  EXPECT_FALSE(c.read_frame(frame));

  auto rx = server.received();
  ASSERT_EQ(rx.size(), 3u);
  EXPECT_EQ(rx[0], R"({"action":"auth","params":")" + std::string(kKey) + R"("})");
  EXPECT_EQ(rx[1], R"({"action":"subscribe","params":"A.SPY,AM.SPY"})");
  EXPECT_EQ(rx[2], R"({"action":"subscribe","params":"A.QQQ"})");
}

TEST(WsClientTest, AuthFailedIsAnAuthErrorWithoutTheKey) {
  TestServer server([&](ServerWs& ws, net::io_context&, int) {
    send(ws, kConnected);
    server.record(recv(ws));
    send(ws, R"([{"ev":"status","status":"auth_failed","message":"authentication failed"}])");
    ws.close(websocket::close_code::policy_error);
  });
  WsConnection c(parse_ws_url(server.url()), fast_options());
  auto e = expect_error([&] { c.connect(kKey); });
  EXPECT_EQ(e.category(), ErrorCategory::auth);
  const std::string what = e.what();
  EXPECT_NE(what.find("127.0.0.1"), std::string::npos) << what;
  EXPECT_NE(what.find("authentication failed"), std::string::npos) << what;
  EXPECT_NE(what.find("****WXYZ"), std::string::npos) << what;
  EXPECT_EQ(what.find(kKey), std::string::npos) << what;
  EXPECT_EQ(e.context().source, "spy");
  EXPECT_EQ(e.context().url, server.url());
  EXPECT_FALSE(c.is_open());
}

TEST(WsClientTest, MaxConnectionsIsARateLimitNamingTheMarket) {
  TestServer server(
      [&](ServerWs& ws, net::io_context&, int index) {
        if (index == 0) {
          send(ws, kConnected);
          recv(ws);
          send(ws,
               R"([{"ev":"status","status":"max_connections","message":"Maximum number of websocket connections exceeded. You have reached the connection limit for your account."}])");
          ws.close(websocket::close_code::policy_error);
          return;
        }
        handshake(ws, server);
        recv(ws);
        send(ws, R"([{"ev":"status","status":"max_connections","message":"limit"}])");
        ws.close(websocket::close_code::policy_error);
      },
      2);
  {
    WsConnection c(parse_ws_url(server.url("/options")), fast_options());
    auto e = expect_error([&] { c.connect(kKey); });
    EXPECT_EQ(e.category(), ErrorCategory::rate_limit);
    EXPECT_NE(std::string(e.what()).find("connection limit for options is reached"), std::string::npos) << e.what();
  }
  WsConnection c(parse_ws_url(server.url("/options")), fast_options());
  c.connect(kKey);
  const std::vector<std::string> topics = {"A.O:SPY250117C00590000"};
  auto e = expect_error([&] { c.subscribe(topics); });
  EXPECT_EQ(e.category(), ErrorCategory::rate_limit);
}

TEST(WsClientTest, SubscribeErrorsAndMissingConfirmationsAreReported) {
  TestServer server([&](ServerWs& ws, net::io_context&, int) {
    handshake(ws, server);
    recv(ws);
    send(ws, subscribed("A.SPY"));
    send(ws, R"([{"ev":"status","status":"error","message":"unknown topic: X.BAD"}])");
    recv(ws);  // until the client closes
  });
  WsClientOptions o = fast_options();
  WsConnection c(parse_ws_url(server.url()), o);
  c.connect(kKey);
  const std::vector<std::string> topics = {"A.SPY", "X.BAD"};
  auto t0 = Clock::now();
  auto r = c.subscribe(topics);
  EXPECT_LT(Clock::now() - t0, 1500ms);  // no wait for the timeout: every topic answered
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.confirmed, std::vector<std::string>{"A.SPY"});
  EXPECT_EQ(r.errors, std::vector<std::string>{"unknown topic: X.BAD"});
  EXPECT_EQ(r.unconfirmed, std::vector<std::string>{"X.BAD"});
}

TEST(WsClientTest, AbruptCloseIsANetworkErrorAndAReconnectWorks) {
  TestServer server(
      [&](ServerWs& ws, net::io_context&, int index) {
        handshake(ws, server);
        send(ws, kBar);
        if (index == 0) {
          ws.next_layer().shutdown(tcp::socket::shutdown_both);  // EOF without a close frame
          ws.next_layer().close();
          return;
        }
        ws.close(websocket::close_code::normal);
      },
      2);
  std::string frame;
  {
    WsConnection c(parse_ws_url(server.url()), fast_options());
    c.connect(kKey);
    ASSERT_TRUE(c.read_frame(frame));
    auto e = expect_error([&] { c.read_frame(frame); });
    EXPECT_EQ(e.category(), ErrorCategory::network);
    EXPECT_NE(std::string(e.what()).find("lost"), std::string::npos) << e.what();
    EXPECT_FALSE(c.is_open());
  }
  WsConnection c(parse_ws_url(server.url()), fast_options());
  c.connect(kKey);
  ASSERT_TRUE(c.read_frame(frame));
  EXPECT_EQ(frame, kBar);
  EXPECT_FALSE(c.read_frame(frame));
  EXPECT_EQ(c.close_info().code, 1000);
}

TEST(WsClientTest, SilentServerFailsTheReadAtTheKeepaliveTimeout) {
  std::atomic<bool> done{false};
  TestServer server([&](ServerWs& ws, net::io_context&, int) {
    handshake(ws, server);
    while (!done) std::this_thread::sleep_for(10ms);  // reads nothing: no pong either
  });
  WsClientOptions o = fast_options();
  o.ping_interval = 100ms;
  o.idle_timeout = 400ms;
  WsConnection c(parse_ws_url(server.url()), o);
  c.connect(kKey);
  std::string frame;
  auto t0 = Clock::now();
  auto e = expect_error([&] { c.read_frame(frame); });
  auto elapsed = Clock::now() - t0;
  done = true;
  EXPECT_EQ(e.category(), ErrorCategory::network);
  EXPECT_NE(std::string(e.what()).find("keepalive"), std::string::npos) << e.what();
  EXPECT_GE(elapsed, 350ms);
  EXPECT_LT(elapsed, 2s);
  EXPECT_GE(c.pings_sent(), 2u);
  EXPECT_EQ(c.pongs_received(), 0u);
}

TEST(WsClientTest, PongsKeepAQuietConnectionAlive) {
  std::atomic<int> pings{0};
  TestServer server([&](ServerWs& ws, net::io_context& ioc, int) {
    handshake(ws, server);
    ws.control_callback([&](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::ping) ++pings;
    });
    beast::flat_buffer buffer;
    ws.async_read(buffer, [](beast::error_code, std::size_t) {});  // answers pings meanwhile
    net::steady_timer timer(ioc, 1200ms);
    const std::string bar(kBar);
    timer.async_wait([&](beast::error_code) { ws.async_write(net::buffer(bar), [](beast::error_code, std::size_t) {}); });
    ioc.restart();
    ioc.run_for(3s);
  });
  WsClientOptions o = fast_options();
  o.ping_interval = 100ms;
  o.idle_timeout = 400ms;
  WsConnection c(parse_ws_url(server.url()), o);
  c.connect(kKey);
  std::string frame;
  ASSERT_TRUE(c.read_frame(frame));
  EXPECT_EQ(frame, kBar);
  EXPECT_GE(c.pings_sent(), 5u);
  EXPECT_GE(c.pongs_received(), 4u);
  EXPECT_GE(pings.load(), 5);
  c.close();
  EXPECT_FALSE(c.is_open());
}

TEST(WsClientTest, RequestStopEndsABlockedRead) {
  TestServer server([&](ServerWs& ws, net::io_context&, int) {
    handshake(ws, server);
    try {
      recv(ws);  // until the client goes away
    } catch (...) {
    }
  });
  WsConnection c(parse_ws_url(server.url()), fast_options());
  c.connect(kKey);
  std::thread stopper([&] {
    std::this_thread::sleep_for(200ms);
    c.request_stop();
  });
  std::string frame;
  auto t0 = Clock::now();
  EXPECT_FALSE(c.read_frame(frame));
  EXPECT_LT(Clock::now() - t0, 2s);
  stopper.join();
  EXPECT_FALSE(c.is_open());
}

// A re-centre onto a quiet connection: wake() ends the blocked read without
// breaking it, the new topic is subscribed at once (its status arrives through
// the read left in flight), and the stream goes on with the new topic's data.
TEST(WsClientTest, WakeLetsAQuietConnectionSubscribeMoreTopics) {
  TestServer server([&](ServerWs& ws, net::io_context&, int) {
    handshake(ws, server);
    server.record(recv(ws));  // the first subscribe; then silence until the next one
    send(ws, subscribed("A.SPY"));
    server.record(recv(ws));
    send(ws, subscribed("A.QQQ"));
    send(ws, kBar);
    try {
      recv(ws);  // until the client goes away
    } catch (...) {
    }
  });
  WsConnection c(parse_ws_url(server.url()), fast_options());
  c.connect(kKey);
  ASSERT_TRUE(c.subscribe(std::vector<std::string>{"A.SPY"}).ok());
  std::thread waker([&] {
    std::this_thread::sleep_for(200ms);
    c.wake();
  });
  std::string frame;
  const auto t0 = Clock::now();
  EXPECT_EQ(c.read(frame), WsReadResult::woken);
  EXPECT_LT(Clock::now() - t0, 2s) << "woken, not timed out";
  waker.join();
  const WsSubscribeResult more = c.subscribe(std::vector<std::string>{"A.QQQ"});
  EXPECT_TRUE(more.ok());
  EXPECT_EQ(more.confirmed, std::vector<std::string>{"A.QQQ"});
  ASSERT_EQ(c.read(frame), WsReadResult::frame);
  EXPECT_EQ(frame, kBar);
  const auto messages = server.received();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_NE(messages[2].find("A.QQQ"), std::string::npos);
  c.close();
}

TEST(WsClientTest, HandshakeTimeoutsRefusalsAndTlsMismatchAreNetworkErrors) {
  net::io_context ioc;
  // Listening but never accepting: TCP connects, the WebSocket handshake never answers.
  tcp::acceptor mute(ioc, tcp::endpoint(net::ip::address_v4::loopback(), 0));
  WsClientOptions o = fast_options();
  o.connect_timeout = 300ms;
  {
    WsConnection c(parse_ws_url("ws://127.0.0.1:" + std::to_string(mute.local_endpoint().port()) + "/stocks"), o);
    auto t0 = Clock::now();
    auto e = expect_error([&] { c.connect(kKey); });
    EXPECT_EQ(e.category(), ErrorCategory::network);
    EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
    EXPECT_LT(Clock::now() - t0, 2s);
  }
  {
    tcp::acceptor closed(ioc, tcp::endpoint(net::ip::address_v4::loopback(), 0));
    auto port = closed.local_endpoint().port();
    closed.close();
    WsConnection c(parse_ws_url("ws://127.0.0.1:" + std::to_string(port) + "/stocks"), o);
    auto e = expect_error([&] { c.connect(kKey); });
    EXPECT_EQ(e.category(), ErrorCategory::network);
    EXPECT_NE(std::string(e.what()).find("TCP connect"), std::string::npos) << e.what();
  }
  {
    TestServer server([](ServerWs&, net::io_context&, int) {});  // plain server: the TLS handshake fails
    auto url = server.url();
    url.replace(0, 2, "wss");
    // This case is about TLS, not timeouts: a loaded machine must not time out its resolve first.
    WsClientOptions tls = fast_options();
    tls.connect_timeout = 10s;
    WsConnection c(parse_ws_url(url), tls);
    auto e = expect_error([&] { c.connect(kKey); });
    EXPECT_EQ(e.category(), ErrorCategory::network);
    EXPECT_NE(std::string(e.what()).find("TLS"), std::string::npos) << e.what();
  }
}

TEST(WsClientTest, AuthTimeoutAndCloseDuringHandshake) {
  TestServer server(
      [&](ServerWs& ws, net::io_context&, int index) {
        send(ws, kConnected);
        recv(ws);
        if (index == 0)
          send(ws, R"([{"ev":"status","status":"auth_timeout","message":"No authentication request received."}])");
        ws.close(websocket::close_code::normal);
      },
      2);
  {
    WsConnection c(parse_ws_url(server.url()), fast_options());
    auto e = expect_error([&] { c.connect(kKey); });
    EXPECT_EQ(e.category(), ErrorCategory::network);
    EXPECT_NE(std::string(e.what()).find("authentication"), std::string::npos) << e.what();
  }
  WsConnection c(parse_ws_url(server.url()), fast_options());
  auto e = expect_error([&] { c.connect(kKey); });
  EXPECT_EQ(e.category(), ErrorCategory::network);
  EXPECT_NE(std::string(e.what()).find("closed the connection"), std::string::npos) << e.what();
}


// A self-signed certificate for 127.0.0.1 (IP SAN), PEM cert + key.
std::pair<std::string, std::string> make_self_signed() {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, pkey);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("soi test"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(x, pkey, EVP_sha256());
  auto to_pem = [](auto write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return pem;
  };
  std::string cert = to_pem([&](BIO* b) { PEM_write_bio_X509(b, x); });
  std::string key = to_pem([&](BIO* b) { PEM_write_bio_PrivateKey(b, pkey, nullptr, nullptr, 0, nullptr, nullptr); });
  X509_free(x);
  EVP_PKEY_free(pkey);
  return {cert, key};
}

TEST(WsClientTest, TlsVerifiesTheServerCertificate) {
  auto [cert, key] = make_self_signed();
  const auto ca_file = std::filesystem::temp_directory_path() / ("soi-ws-test-ca-" + std::to_string(::getpid()) + ".pem");
  std::ofstream(ca_file) << cert;

  net::ssl::context server_ctx(net::ssl::context::tls_server);
  server_ctx.use_certificate_chain(net::buffer(cert));
  server_ctx.use_private_key(net::buffer(key), net::ssl::context::pem);
  net::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::address_v4::loopback(), 0));
  const auto port = acceptor.local_endpoint().port();
  std::thread server([&] {
    for (int i = 0; i < 2; ++i) {
      try {
        tcp::socket socket(ioc);
        acceptor.accept(socket);
        websocket::stream<net::ssl::stream<tcp::socket>> ws(std::move(socket), server_ctx);
        ws.next_layer().handshake(net::ssl::stream_base::server);  // fails for the untrusting client
        ws.accept();
        ws.text(true);
        ws.write(net::buffer(kConnected.data(), kConnected.size()));
        beast::flat_buffer b;
        ws.read(b);
        ws.write(net::buffer(kAuthOk.data(), kAuthOk.size()));
        ws.write(net::buffer(kBar.data(), kBar.size()));
        ws.close(websocket::close_code::normal);
      } catch (const std::exception&) {
      }
    }
  });
  const std::string url = "wss://127.0.0.1:" + std::to_string(port) + "/indices";
  {
    WsConnection c(parse_ws_url(url), fast_options());  // system store only: not trusted
    auto e = expect_error([&] { c.connect(kKey); });
    EXPECT_EQ(e.category(), ErrorCategory::network);
    EXPECT_NE(std::string(e.what()).find("TLS handshake"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("certificate"), std::string::npos) << e.what();
  }
  WsClientOptions o = fast_options();
  o.ca_file = ca_file.string();
  WsConnection c(parse_ws_url(url), o);
  c.connect(kKey);
  std::string frame;
  ASSERT_TRUE(c.read_frame(frame));
  EXPECT_EQ(frame, kBar);
  EXPECT_FALSE(c.read_frame(frame));
  server.join();
  std::filesystem::remove(ca_file);
}

}  // namespace
}  // namespace soi
