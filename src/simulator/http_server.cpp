#include "simulator/http_server.hpp"

#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <fmt/format.h>

#include "simulator/api_response.hpp"
#include "simulator/http_request.hpp"
#include "simulator/request_log.hpp"
#include "simulator/websocket_upgrade.hpp"
#include "simulator/ws_server.hpp"
#include "utils/error.hpp"
#include "utils/json_text.hpp"

namespace soi::sim {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

// One clock for REST "now" and the WebSocket stream (speed, start from the config).
std::shared_ptr<SimClock> make_clock(const SimulatorOptions& options) {
  return std::make_shared<SimClock>(options.clock, SimClock::parse_start(options.config.ws_start),
                                    options.config.ws_speed);
}

SimulatorOptions with_clock(SimulatorOptions options, const std::shared_ptr<SimClock>& clock) {
  options.clock = [clock] { return clock->now_ms(); };
  return options;
}

struct SimulatorServer::Impl {
  explicit Impl(SimulatorOptions opts)
      : clock(make_clock(opts)),
        options(with_clock(std::move(opts), clock)),
        router(options),
        ws(WsService::Deps{options, *clock, WsFeedServices{router.bars(), router.market(), router.calendar()},
                           router.stats(), router.faults()}) {
    websocket_handler = [this](WebSocketUpgrade& upgrade) { ws.serve(upgrade); };
    if (!options.request_log.empty()) request_log = std::make_unique<RequestLog>(options.request_log);
  }

  struct Connection {
    std::thread thread;
    int fd = -1;  // -1 once the serving thread closed the socket
    bool done = false;
  };

  std::shared_ptr<SimClock> clock;
  SimulatorOptions options;
  RestRouter router;
  WsService ws;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread accept_thread;
  int bound_port = 0;
  WebSocketHandler websocket_handler;
  std::unique_ptr<RequestLog> request_log;  // --request-log; nullptr: none

  std::mutex mutex;
  std::condition_variable stop_cv;
  bool started = false;
  bool stopping = false;
  std::list<std::unique_ptr<Connection>> connections;

  void accept_next() {
    acceptor.async_accept([this](error_code ec, tcp::socket socket) {
      if (ec) return;  // the acceptor was closed by stop()
      std::lock_guard lock(mutex);
      if (stopping) return;
      // Reap finished connections so a long run does not accumulate threads.
      for (auto it = connections.begin(); it != connections.end();) {
        if ((*it)->done) {
          (*it)->thread.join();
          it = connections.erase(it);
        } else {
          ++it;
        }
      }
      auto connection = std::make_unique<Connection>();
      Connection* c = connection.get();
      c->fd = socket.native_handle();
      c->thread = std::thread([this, c, s = std::move(socket)]() mutable { serve(*c, std::move(s)); });
      connections.push_back(std::move(connection));
      accept_next();
    });
  }

  bool is_stopping() {
    std::lock_guard lock(mutex);
    return stopping;
  }

  // Waits for a slow fault; false when the server is stopping meanwhile.
  bool delay(int ms) {
    std::unique_lock lock(mutex);
    return !stop_cv.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping; });
  }

  void serve(Connection& c, tcp::socket socket) {
    try {
      serve_requests(socket);
    } catch (const std::exception&) {
      // A connection failing must never take the server down; the client sees the close.
    }
    std::lock_guard lock(mutex);
    error_code ignored;
    socket.close(ignored);  // under the lock: stop() never shuts down a reused descriptor
    c.fd = -1;
    c.done = true;
  }

  void serve_requests(tcp::socket& socket) {
    boost::beast::flat_buffer buffer;
    while (true) {
      HttpRequestParser parser;
      apply_request_limits(parser);
      error_code ec;
      http::read(socket, buffer, parser, ec);
      if (ec) return;  // closed by the client, shut down by stop(), or garbage
      http::request<http::string_body> req = parser.release();

      if (boost::beast::websocket::is_upgrade(req)) {
        router.count(Endpoint::websocket);
        if (websocket_handler) {
          WebSocketUpgrade upgrade{socket, std::move(req), [this] { return is_stopping(); }};
          websocket_handler(upgrade);
          return;
        }
        SimResponse refused =
            error_response(501, new_request_id(), "WebSocket is not available on this simulator yet (REST only)");
        write(socket, req, std::move(refused), false);
        return;
      }

      const auto arrived = std::chrono::system_clock::now();
      SimResponse response = router.handle(to_sim_request(req));
      if (request_log) {
        // A dropped connection is logged with status 0: the request arrived, no answer left.
        request_log->append(
            std::chrono::duration_cast<std::chrono::milliseconds>(arrived.time_since_epoch()).count(),
            response.drop ? 0 : response.status, std::string_view(req.target().data(), req.target().size()));
      }
      if (response.delay_ms > 0 && !delay(response.delay_ms)) return;
      if (response.drop) return;
      if (!write(socket, req, std::move(response), req.keep_alive())) return;
    }
  }

  // Returns false when the connection must close.
  bool write(tcp::socket& socket, const http::request<http::string_body>& req, SimResponse r, bool keep_alive) {
    http::response<http::string_body> res{static_cast<http::status>(r.status), req.version()};
    res.set(http::field::server, "soi-simulator");
    res.set(http::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) res.set(name, value);
    res.keep_alive(keep_alive && !r.truncate);
    res.body() = std::move(r.body);
    res.prepare_payload();
    error_code ec;
    if (r.truncate) {
      // Honest headers (full Content-Length), half the body, then a close: what a
      // proxy dying mid-response looks like to the client.
      http::response_serializer<http::string_body> serializer{res};
      http::write_header(socket, serializer, ec);
      const std::string& body = res.body();
      if (!ec) net::write(socket, net::buffer(body.data(), body.size() / 2), ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
      return false;
    }
    http::write(socket, res, ec);
    return !ec && res.keep_alive();
  }
};

SimulatorServer::SimulatorServer(SimulatorOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

SimulatorServer::~SimulatorServer() { stop(); }

void SimulatorServer::start() {
  Impl& s = *impl_;
  {
    std::lock_guard lock(s.mutex);
    if (s.started) return;
  }
  // Loopback only, always: the simulator accepts any key and must never face a network.
  const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(s.options.port));
  error_code ec;
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw SoiError(ErrorCategory::network,
                   fmt::format("cannot listen on 127.0.0.1:{}: {}", s.options.port, ec.message()),
                   ErrorContext{"simulator", "", "", ""});
  s.bound_port = s.acceptor.local_endpoint().port();
  if (!s.options.port_file.empty()) write_file_atomically(s.options.port_file, std::to_string(s.bound_port) + "\n");
  {
    std::lock_guard lock(s.mutex);
    s.started = true;
  }
  s.accept_next();
  s.accept_thread = std::thread([&s] { s.ioc.run(); });
}

void SimulatorServer::stop() {
  Impl& s = *impl_;
  {
    std::lock_guard lock(s.mutex);
    if (!s.started || s.stopping) return;
    s.stopping = true;
  }
  s.stop_cv.notify_all();
  net::post(s.ioc, [&s] {
    error_code ignored;
    s.acceptor.close(ignored);
  });
  if (s.accept_thread.joinable()) s.accept_thread.join();
  std::list<std::unique_ptr<Impl::Connection>> connections;
  {
    std::lock_guard lock(s.mutex);
    // Wakes threads blocked in read() on idle keep-alive connections.
    for (auto& c : s.connections)
      if (c->fd >= 0) ::shutdown(c->fd, SHUT_RDWR);
    connections.swap(s.connections);
  }
  for (auto& c : connections)
    if (c->thread.joinable()) c->thread.join();
}

int SimulatorServer::port() const { return impl_->bound_port; }

std::string SimulatorServer::base_url() const { return fmt::format("http://127.0.0.1:{}", impl_->bound_port); }

const RestRouter& SimulatorServer::router() const { return impl_->router; }

SimClock& SimulatorServer::clock() { return *impl_->clock; }

std::string SimulatorServer::stats_summary() const {
  return impl_->router.stats().summary(impl_->router.faults());
}

void SimulatorServer::set_websocket_handler(WebSocketHandler handler) { impl_->websocket_handler = std::move(handler); }

}  // namespace soi::sim
