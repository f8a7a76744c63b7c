#include "simulator/ws_server.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <limits>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket.hpp>

#include "simulator/api_response.hpp"

namespace soi::sim {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kSpeedZeroLowWater = 1 << 20;  // speed 0: produce while less than this is queued
constexpr std::size_t kChunkBytes = 1 << 20;         // production per turn of the event loop
constexpr auto kPollInterval = std::chrono::milliseconds(50);
constexpr auto kCloseDeadline = std::chrono::milliseconds(2000);
constexpr std::string_view kMaxConnectionsText =
    "Maximum number of websocket connections exceeded. You have reached the connection limit for your account. "
    "Please contact support at https://massive.com/contact to increase your limit.";
constexpr std::string_view kSlowConsumerText =
    "Slow consumer: the client did not read fast enough and the connection's buffer is full. Disconnecting.";

bool has_kind(const std::vector<FaultSpec>& specs, FaultKind kind) {
  return std::any_of(specs.begin(), specs.end(), [kind](const FaultSpec& s) { return s.kind == kind; });
}

// One connection; lives on the stack of WsService::serve, all handlers run on
// that thread's private io_context.
class WsSession {
 public:
  WsSession(WsService& service, WebSocketUpgrade& upgrade, WsMarket market, net::io_context& ioc,
            tcp::socket socket)
      : service_(service),
        deps_(service.deps()),
        config_(deps_.options.config),
        upgrade_(upgrade),
        market_(market),
        path_("/" + std::string(to_string(market))),
        ws_(std::move(socket)),
        poll_timer_(ioc),
        auth_timer_(ioc),
        pump_timer_(ioc),
        close_timer_(ioc),
        feed_(deps_.feed, market, static_cast<std::size_t>(std::max(1, config_.ws_batch_max))),
        limit_bytes_(static_cast<std::size_t>(std::max(1, config_.ws_buffer_limit_kb)) * 1024),
        speed0_(deps_.clock.as_fast_as_possible()) {}

  WsSession(const WsSession&) = delete;
  WsSession& operator=(const WsSession&) = delete;

  ~WsSession() {
    if (holds_slot_) service_.release_slot(market_, key_);
    if (counted_active_) counters().active.fetch_sub(1, std::memory_order_relaxed);
  }

  void start() {
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(10);
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "soi-simulator"); }));
    ws_.auto_fragment(false);
    ws_.read_message_max(1 << 20);  // the contract's 1 MB subscribe limit
    ws_.text(true);
    ws_.async_accept(upgrade_.request, [this](error_code ec) { on_accept(ec); });
    arm_poll();
  }

 private:
  WsCounters& counters() { return deps_.stats.ws(); }

  void arm_poll() {
    poll_timer_.expires_after(kPollInterval);
    poll_timer_.async_wait([this](error_code ec) {
      if (ec || done_) return;
      if (upgrade_.stopping()) return finish();
      arm_poll();
    });
  }

  void on_accept(error_code ec) {
    if (ec) return finish();
    WsCounters::add(counters().connections);
    WsCounters::add(counters().active);
    counted_active_ = true;
    send_status("connected", "Connected Successfully");
    auth_timer_.expires_after(std::chrono::milliseconds(std::max(1, config_.ws_auth_timeout_ms)));
    auth_timer_.async_wait([this](error_code e) {
      if (e || done_ || authed_ || closing_) return;
      WsCounters::add(counters().auth_timeouts);
      send_status("auth_timeout", "No authentication request received.");
      close_soon(websocket::close_code::policy_error);
    });
    read_next();
  }

  void read_next() {
    ws_.async_read(read_buffer_, [this](error_code ec, std::size_t) {
      if (ec || done_) return finish();  // client closed (or we did), reset, server stopping
      const std::string text = beast::buffers_to_string(read_buffer_.data());
      read_buffer_.consume(read_buffer_.size());
      if (!closing_) handle_message(text);
      read_next();
    });
  }

  // ---- control messages ----

  void handle_message(const std::string& text) {
    const WsClientMessage m = parse_ws_client_message(text);
    if (!m.error.empty()) return send_status("error", m.error);
    if (m.action == "auth") return handle_auth(m.params);
    if (m.action == "subscribe" || m.action == "unsubscribe") return handle_subscription(m);
    send_status("error", "unknown action '" + m.action + "' (one of: auth, subscribe, unsubscribe)");
  }

  void handle_auth(const std::string& key) {
    if (authed_) return send_status("error", "already authenticated");
    auth_timer_.cancel();
    const bool valid = !key.empty() && (deps_.options.api_key.empty() || key == deps_.options.api_key);
    const std::vector<FaultSpec> faults = valid ? deps_.faults.decide_ws(path_) : std::vector<FaultSpec>{};
    if (!valid || has_kind(faults, FaultKind::ws_refuse_auth)) {
      if (valid) deps_.faults.record(FaultKind::ws_refuse_auth);
      WsCounters::add(counters().auth_failures);
      send_status("auth_failed", "authentication failed");
      return close_soon(websocket::close_code::policy_error);
    }
    const bool refused_by_fault = has_kind(faults, FaultKind::ws_max_connections);
    if (refused_by_fault || !service_.acquire_slot(market_, key)) {
      if (refused_by_fault) deps_.faults.record(FaultKind::ws_max_connections);
      WsCounters::add(counters().max_connections);
      send_status("max_connections", kMaxConnectionsText);
      return close_soon(websocket::close_code::policy_error);
    }
    holds_slot_ = true;
    key_ = key;
    authed_ = true;
    WsCounters::add(counters().auth_success);
    send_status("auth_success", "authenticated");
    std::vector<FaultSpec> stream_faults;
    for (const auto& f : faults)
      if (is_ws_stream_fault(f.kind)) stream_faults.push_back(f);
    feed_.set_stream_faults(std::move(stream_faults));
    // The stream starts with the window in progress: what already closed is history (REST).
    const std::int64_t now = deps_.clock.now_ms();
    feed_.start(speed0_ ? now : now - config_.ws_publish_delay_ms, speed0_);
    schedule_pump(std::chrono::milliseconds(0));
  }

  void handle_subscription(const WsClientMessage& m) {
    if (!authed_) return send_status("auth_required", "authentication required: send an auth action first");
    const bool subscribe = m.action == "subscribe";
    const auto topics = parse_ws_topics(m.params, market_);
    if (topics.empty()) return send_status("error", "no topics given (params: \"A.SPY,AM.SPY\")");
    for (const auto& t : topics) {
      if (!t.error.empty()) {
        send_status("error", t.error);
        continue;
      }
      if (subscribe) {
        feed_.subscribe(t.ev, t.sym);
      } else {
        feed_.unsubscribe(t.ev, t.sym);
      }
      send_status("success", (subscribe ? "subscribed to: " : "unsubscribed to: ") + t.text);
    }
    schedule_pump(std::chrono::milliseconds(0));
  }

  // ---- data ----

  void schedule_pump(std::chrono::milliseconds delay) {
    if (done_ || closing_) return;
    pump_timer_.expires_after(delay);
    pump_timer_.async_wait([this](error_code ec) {
      if (!ec) pump();
    });
  }

  void pump() {
    if (done_ || closing_ || !authed_) return;
    if (stall_until_) {
      if (SteadyClock::now() < *stall_until_) {
        pump_timer_.expires_at(*stall_until_);
        pump_timer_.async_wait([this](error_code ec) {
          if (!ec) pump();
        });
        return;
      }
      stall_until_.reset();
    }
    if (speed0_ && !feed_.has_data_subscriptions()) return;  // resumes on subscribe
    const std::int64_t until = speed0_ ? std::numeric_limits<std::int64_t>::max() / 2
                                       : deps_.clock.now_ms() - config_.ws_publish_delay_ms;
    const std::size_t room = speed0_ ? (out_bytes_ < kSpeedZeroLowWater ? kSpeedZeroLowWater - out_bytes_ : 0)
                                     : (out_bytes_ < limit_bytes_ ? std::min(limit_bytes_ - out_bytes_, kChunkBytes) : 0);
    if (room > 0) {
      const WsFeed::Result r =
          feed_.produce(until, room, [this](std::string&& frame, std::size_t events) { send(std::move(frame), events); });
      if (speed0_) deps_.clock.advance_to(feed_.cursor());
      for (FaultKind k : r.injected) deps_.faults.record(k);
      if (r.stop) {
        deps_.faults.record(r.stop->kind);
        if (r.stop->kind == FaultKind::ws_close)
          return close_soon(websocket::close_code::going_away, r.stop->drop_connection);
        stall_until_ = SteadyClock::now() + std::chrono::milliseconds(r.stop->duration_ms);
        return pump();  // arms the stall wait
      }
    }
    if (done_ || closing_) return;
    const bool more_due = !feed_.finished() && feed_.cursor() + 1000 <= until;
    if (!speed0_ && more_due && out_bytes_ >= limit_bytes_) return slow_consumer();
    if (speed0_) {
      // Write completions call pump() again while the client keeps reading.
      if (more_due && out_bytes_ < kSpeedZeroLowWater && !writing_) schedule_pump(std::chrono::milliseconds(0));
      return;
    }
    if (more_due) return schedule_pump(std::chrono::milliseconds(0));
    const double wait = deps_.clock.wall_ms_until(feed_.cursor() + 1000 + config_.ws_publish_delay_ms);
    const auto ms = static_cast<long>(std::clamp(std::ceil(wait), 1.0, static_cast<double>(kPollInterval.count())));
    schedule_pump(std::chrono::milliseconds(ms));
  }

  void slow_consumer() {
    WsCounters::add(counters().slow_consumers);
    // What the socket has not taken yet is dropped; the status goes out if the client ever reads again.
    while (outq_.size() > (writing_ ? 1u : 0u)) {
      out_bytes_ -= outq_.back().size();
      outq_.pop_back();
    }
    send_status("slow_consumer", kSlowConsumerText);
    close_soon(websocket::close_code::policy_error);
  }

  // ---- writing and closing ----

  void send_status(std::string_view status, std::string_view message) { send(ws_status_frame(status, message), 0); }

  void send(std::string&& frame, std::size_t events) {
    if (done_) return;
    WsCounters::add(counters().frames);
    WsCounters::add(counters().events, events);
    WsCounters::add(counters().bytes, frame.size());
    out_bytes_ += frame.size();
    outq_.push_back(std::move(frame));
    if (!writing_) write_next();
  }

  void write_next() {
    if (done_) return;
    if (outq_.empty()) {
      writing_ = false;
      if (closing_) start_close();
      return;
    }
    writing_ = true;
    ws_.async_write(net::buffer(outq_.front()), [this](error_code ec, std::size_t) {
      out_bytes_ -= outq_.front().size();
      outq_.pop_front();
      if (ec || done_) return finish();
      if (speed0_ && authed_ && !closing_ && out_bytes_ < kSpeedZeroLowWater) pump();
      write_next();
    });
  }

  // Stops producing, lets the queue drain, then sends a close frame; whatever
  // happens, the socket is closed after kCloseDeadline.
  // drop: no close frame, the TCP connection just ends (after the queue drained).
  void close_soon(websocket::close_code code, bool drop = false) {
    if (closing_ || done_) return;
    closing_ = true;
    close_code_ = code;
    drop_ = drop;
    pump_timer_.cancel();
    auth_timer_.cancel();
    close_timer_.expires_after(kCloseDeadline);
    close_timer_.async_wait([this](error_code ec) {
      if (!ec) finish();
    });
    if (!writing_) start_close();
  }

  void start_close() {
    if (close_started_ || done_) return;
    close_started_ = true;
    if (drop_) return finish();
    ws_.async_close(websocket::close_reason(close_code_), [this](error_code) { finish(); });
  }

  void finish() {
    if (done_) return;
    done_ = true;
    poll_timer_.cancel();
    auth_timer_.cancel();
    pump_timer_.cancel();
    close_timer_.cancel();
    error_code ec;
    beast::get_lowest_layer(ws_).shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws_).close(ec);
  }

  WsService& service_;
  const WsService::Deps& deps_;
  const SimulatorConfig& config_;
  WebSocketUpgrade& upgrade_;
  WsMarket market_;
  std::string path_;
  websocket::stream<tcp::socket> ws_;
  net::steady_timer poll_timer_, auth_timer_, pump_timer_, close_timer_;
  beast::flat_buffer read_buffer_;
  std::deque<std::string> outq_;
  std::size_t out_bytes_ = 0;
  bool writing_ = false;
  WsFeed feed_;
  std::size_t limit_bytes_;
  bool speed0_;
  bool authed_ = false, closing_ = false, close_started_ = false, done_ = false, drop_ = false;
  bool holds_slot_ = false, counted_active_ = false;
  std::string key_;
  websocket::close_code close_code_ = websocket::close_code::normal;
  std::optional<SteadyClock::time_point> stall_until_;
};

void refuse_path(tcp::socket& socket, const http::request<http::string_body>& req) {
  const SimResponse r = error_response(
      404, new_request_id(), "Not found: WebSocket markets are /stocks, /options and /indices");
  http::response<http::string_body> res{http::status::not_found, req.version()};
  res.set(http::field::server, "soi-simulator");
  res.set(http::field::content_type, r.content_type);
  res.keep_alive(false);
  res.body() = r.body;
  res.prepare_payload();
  error_code ec;
  http::write(socket, res, ec);
}

}  // namespace

bool WsService::acquire_slot(WsMarket market, const std::string& key) {
  std::lock_guard lock(mutex_);
  int& n = slots_[{static_cast<int>(market), key}];
  if (n >= std::max(1, deps_.options.config.ws_max_connections)) return false;
  ++n;
  return true;
}

void WsService::release_slot(WsMarket market, const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = slots_.find({static_cast<int>(market), key});
  if (it != slots_.end() && --it->second <= 0) slots_.erase(it);
}

void WsService::serve(WebSocketUpgrade& upgrade) {
  // A private io_context on this connection thread, over a duplicate of the
  // descriptor: the HTTP server keeps (and finally closes) its own, and its
  // shutdown() at stop() still wakes this session.
  net::io_context ioc;
  const int fd = ::dup(upgrade.socket.native_handle());
  if (fd < 0) return;
  tcp::socket socket(ioc);
  error_code ec;
  socket.assign(tcp::v4(), fd, ec);
  if (ec) {
    ::close(fd);
    return;
  }
  const auto market = ws_market_of_path(std::string_view(upgrade.request.target().data(), upgrade.request.target().size()));
  if (!market) {
    refuse_path(socket, upgrade.request);
    return;
  }
  try {
    WsSession session(*this, upgrade, *market, ioc, std::move(socket));
    session.start();
    ioc.run();
  } catch (const std::exception&) {
    // A failing session must never take the server down; the client sees the close.
  }
}

}  // namespace soi::sim
