#include "data_sources/ws_client.hpp"

#include <algorithm>
#include <cstdio>
#include <atomic>
#include <deque>
#include <optional>
#include <unordered_set>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <simdjson.h>

#include "data_sources/subscription_plan.hpp"
#include "data_sources/ws_event_parser.hpp"
#include "utils/error.hpp"
#include "utils/json_text.hpp"
#include "utils/redact.hpp"

namespace soi {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
using PlainWs = websocket::stream<beast::tcp_stream>;
using TlsWs = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

std::string seconds_text(std::chrono::milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g s", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

std::string_view strip_query(std::string_view path) { return path.substr(0, path.find_first_of("?#")); }

}  // namespace

// ---------------------------------------------------------------- URL

std::string WsUrl::text() const {
  std::string s = tls ? "wss://" : "ws://";
  s += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) s += ":" + std::to_string(port);
  s += strip_query(path);
  return redact(s);
}

std::string WsUrl::market() const {
  std::string_view p = strip_query(path);
  while (!p.empty() && p.front() == '/') p.remove_prefix(1);
  while (!p.empty() && p.back() == '/') p.remove_suffix(1);
  return std::string(p);
}

WsUrl parse_ws_url(std::string_view text) {
  auto bad = [&](std::string_view why) -> SoiError {
    return SoiError(ErrorCategory::config, "WebSocket URL \"" + redact(text) + "\" is invalid: " + std::string(why));
  };
  WsUrl url;
  std::string_view rest = text;
  if (rest.starts_with("wss://")) {
    url.tls = true;
    url.port = 443;
    rest.remove_prefix(6);
  } else if (rest.starts_with("ws://")) {
    url.tls = false;
    url.port = 80;
    rest.remove_prefix(5);
  } else {
    throw bad("expected ws:// or wss://");
  }
  const auto path_at = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_at);
  std::string_view path = path_at == std::string_view::npos ? std::string_view("/") : rest.substr(path_at);
  if (authority.find('@') != std::string_view::npos) throw bad("user info is not allowed");
  std::string_view host = authority, port;
  if (authority.starts_with("[")) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) throw bad("unterminated IPv6 literal");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw bad("unexpected text after the host");
      port = after.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) throw bad("no host");
  if (!port.empty() || authority.ends_with(":")) {
    unsigned value = 0;
    if (port.empty() || port.size() > 5) throw bad("bad port");
    for (char c : port) {
      if (c < '0' || c > '9') throw bad("bad port");
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) throw bad("port out of range");
    url.port = static_cast<std::uint16_t>(value);
  }
  url.host = std::string(host);
  url.path = path.front() == '/' ? std::string(path) : "/" + std::string(path);
  return url;
}

// ---------------------------------------------------------------- connection

struct WsConnection::Impl {
  Impl(WsUrl u, WsClientOptions o) : url(std::move(u)), opt(std::move(o)) {
    context.source = opt.source;
    context.url = url.text();
    market = url.market();
  }

  WsUrl url;
  WsClientOptions opt;
  ErrorContext context;
  std::string market;

  net::io_context ioc;  // first: destroyed last
  std::optional<ssl::context> ssl_ctx;
  std::unique_ptr<PlainWs> plain;
  std::unique_ptr<TlsWs> tls;
  beast::flat_buffer buffer;
  std::deque<std::string> pending;  // data frames received while waiting for statuses
  WsEventParser parser;
  WsFrame frame;
  std::string scratch;

  bool connected = false;  // connect() was called
  bool open = false;
  bool write_idle = true;  // no ping in flight (the only write that outlives a call)
  std::atomic<bool> stop{false};
  std::atomic<bool> wake_requested{false};
  bool read_pending = false;  // an async_read is in flight (start_read)
  bool read_done = false;
  error_code read_ec;
  Clock::time_point last_activity{}, last_ping{};
  std::uint64_t pings = 0, pongs = 0;
  WsCloseInfo close_info;
  std::string masked_key;  // "****abcd", for messages
  std::string key;         // only during connect(), to scrub server text

  template <class F>
  decltype(auto) with_ws(F&& f) {
    return tls ? f(*tls) : f(*plain);
  }

  [[noreturn]] void fail(ErrorCategory category, const std::string& message) {
    shutdown_socket();
    throw SoiError(category, scrub(message), context);
  }

  std::string scrub(std::string_view text) const {
    std::string s(text);
    if (!key.empty())
      for (auto pos = s.find(key); pos != std::string::npos; pos = s.find(key, pos + masked_key.size()))
        s.replace(pos, key.size(), masked_key);
    return redact(s);
  }

  std::string where() const { return url.host + ":" + std::to_string(url.port); }

  void cancel_io() {
    error_code ec;
    if (tls) beast::get_lowest_layer(*tls).socket().cancel(ec);
    if (plain) beast::get_lowest_layer(*plain).socket().cancel(ec);
  }

  void shutdown_socket() noexcept {
    error_code ec;
    if (tls) beast::get_lowest_layer(*tls).socket().close(ec);
    if (plain) beast::get_lowest_layer(*plain).socket().close(ec);
    if (open) {
      // Let cancelled handlers (a ping in flight) finish before anything else runs.
      ioc.restart();
      ioc.poll();
    }
    open = false;
  }

  // Runs the io_context until `done` or the deadline. On the deadline the socket
  // is cancelled and the pending handlers drained (they reference the caller's
  // stack); returns false.
  bool run_until(const bool& done, Clock::time_point deadline) {
    while (!done) {
      ioc.restart();
      if (ioc.run_one_until(deadline) == 0 && Clock::now() >= deadline) break;
    }
    if (done) return true;
    cancel_io();
    while (!done) {
      ioc.restart();
      if (ioc.run_one() == 0) break;
    }
    return false;
  }

  template <class Start>
  error_code run_op(Start&& start, Clock::time_point deadline, std::string_view what) {
    bool done = false;
    error_code result;
    start([&done, &result](error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    if (!run_until(done, deadline)) fail(ErrorCategory::network, std::string(what) + " timed out");
    return result;
  }

  void check(error_code ec, std::string_view what) {
    if (!ec) return;
    fail(ErrorCategory::network, std::string(what) + " failed: " + ec.message());
  }

  void open_transport() {
    const auto deadline = Clock::now() + opt.connect_timeout;
    if (url.tls) {
      ssl_ctx.emplace(ssl::context::tls_client);
      error_code ec;
      ssl_ctx->set_default_verify_paths(ec);
      if (!opt.ca_file.empty()) {
        ssl_ctx->load_verify_file(opt.ca_file, ec);
        if (ec) fail(ErrorCategory::network, "cannot load CA file " + opt.ca_file + ": " + ec.message());
      }
      ssl_ctx->set_verify_mode(ssl::verify_peer);
      tls = std::make_unique<TlsWs>(ioc, *ssl_ctx);
    } else {
      plain = std::make_unique<PlainWs>(ioc);
    }

    tcp::resolver resolver(ioc);
    tcp::resolver::results_type endpoints;
    {
      bool done = false;
      error_code rec;
      resolver.async_resolve(url.host, std::to_string(url.port),
                             [&](error_code ec, tcp::resolver::results_type results) {
                               rec = ec;
                               endpoints = std::move(results);
                               done = true;
                             });
      if (!run_until(done, deadline)) {
        resolver.cancel();
        while (!done) {
          ioc.restart();
          if (ioc.run_one() == 0) break;
        }
        fail(ErrorCategory::network, "resolving " + url.host + " timed out");
      }
      check(rec, "resolving " + url.host);
    }
    with_ws([&](auto& ws) {
      auto ec = run_op([&](auto handler) { beast::get_lowest_layer(ws).async_connect(endpoints, handler); },
                       deadline, "TCP connect to " + where());
      check(ec, "TCP connect to " + where());
    });
    open = true;
    if (tls) {
      auto& stream = tls->next_layer();
      error_code not_ip;
      net::ip::make_address(url.host, not_ip);  // SNI carries names only, never IP literals
      if (not_ip && !SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()))
        fail(ErrorCategory::network, "TLS: cannot set the SNI host name " + url.host);
      stream.set_verify_callback(ssl::host_name_verification(url.host));
      auto ec = run_op([&](auto handler) { stream.async_handshake(ssl::stream_base::client, handler); }, deadline,
                       "TLS handshake with " + where());
      check(ec, "TLS handshake with " + where());
    }
    with_ws([&](auto& ws) {
      ws.set_option(websocket::stream_base::decorator([ua = opt.user_agent](websocket::request_type& req) {
        req.set(beast::http::field::user_agent, ua);
      }));
      ws.read_message_max(opt.max_message_bytes);
      ws.auto_fragment(false);
      ws.text(true);
      ws.control_callback([this](websocket::frame_type kind, beast::string_view) {
        if (kind == websocket::frame_type::pong) ++pongs;
        if (kind != websocket::frame_type::close) last_activity = Clock::now();
      });
      std::string host_header = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
      if (url.port != (url.tls ? 443 : 80)) host_header += ":" + std::to_string(url.port);
      auto ec = run_op([&](auto handler) { ws.async_handshake(host_header, url.path, handler); }, deadline,
                       "WebSocket handshake with " + where());
      check(ec, "WebSocket handshake with " + where());
    });
    last_activity = last_ping = Clock::now();
  }

  // The one read in flight, whoever waits for it: read() may return (woken)
  // while it is pending, and the next read() or subscribe() goes on waiting
  // for the same frame (a Beast read cannot be cancelled and resumed).
  void start_read() {
    if (read_pending) return;
    read_pending = true;
    read_done = false;
    with_ws([&](auto& ws) {
      ws.async_read(buffer, [this](error_code ec, std::size_t) {
        read_ec = ec;
        read_done = true;
      });
    });
  }
  // After read_done: the frame it brought (false on a close frame).
  bool take_read(std::string& out, std::string_view phase) {
    read_pending = false;
    return finish_read(read_ec, out, phase);
  }

  // One message with a fixed deadline (handshake phases). False on a close frame.
  bool read_message(std::string& out, Clock::time_point deadline, std::string_view phase) {
    start_read();
    if (!run_until(read_done, deadline))
      fail(ErrorCategory::network, "no answer from " + where() + " while " + std::string(phase));
    return take_read(out, phase);
  }

  bool finish_read(error_code ec, std::string& out, std::string_view phase) {
    // A close frame was received: a reset during the TCP teardown that follows
    // is still a clean close.
    bool got_close = false;
    if (ec) with_ws([&](auto& ws) { got_close = ws.reason().code != websocket::close_code::none; });
    if (ec == websocket::error::closed || got_close) {
      with_ws([&](auto& ws) {
        close_info.code = static_cast<int>(ws.reason().code);
        close_info.reason = std::string(ws.reason().reason.data(), ws.reason().reason.size());
      });
      shutdown_socket();
      return false;
    }
    if (ec) {
      if (stop.load() && ec == net::error::operation_aborted) {
        shutdown_socket();
        return false;
      }
      fail(ErrorCategory::network, "connection to " + where() + " lost while " + std::string(phase) + ": " +
                                       ec.message());
    }
    const auto data = buffer.cdata();
    out.assign(static_cast<const char*>(data.data()), data.size());
    out.reserve(out.size() + simdjson::SIMDJSON_PADDING);
    buffer.consume(buffer.size());
    last_activity = Clock::now();
    return true;
  }

  void wait_for_writes(Clock::time_point deadline) {
    if (!run_until(write_idle, deadline)) fail(ErrorCategory::network, "sending to " + where() + " timed out");
  }

  void write_text(std::string_view message, std::string_view what) {
    const auto deadline = Clock::now() + opt.write_timeout;
    wait_for_writes(deadline);
    with_ws([&](auto& ws) {
      auto ec = run_op([&](auto handler) { ws.async_write(net::buffer(message.data(), message.size()), handler); },
                       deadline, "sending " + std::string(what) + " to " + where());
      check(ec, "sending " + std::string(what) + " to " + where());
    });
  }

  void start_ping() {
    write_idle = false;
    last_ping = Clock::now();
    ++pings;
    with_ws([&](auto& ws) {
      ws.async_ping({}, [this](error_code) { write_idle = true; });
    });
  }

  [[noreturn]] void status_failure(const WsStatusEvent& s, std::string_view phase) {
    const std::string server = "\"" + std::string(s.message) + "\"";
    switch (s.status) {
      case WsStatus::auth_failed:
        fail(ErrorCategory::auth, "authentication refused by " + url.host + " for API key " + masked_key + " (server: " +
                                      server + "); check the key (MASSIVE_API_KEY / POLYGON_API_KEY) and that the plan "
                                      "includes WebSocket access to " + market);
      case WsStatus::auth_required:
        fail(ErrorCategory::auth, url.host + " answered auth_required while " + std::string(phase) + " (server: " +
                                      server + ")");
      case WsStatus::max_connections:
        fail(ErrorCategory::rate_limit,
             "the account's connection limit for " + market + " is reached on " + url.host + " (server: " + server +
                 "): another process or client is streaming with the same API key; stop it or raise the limit");
      case WsStatus::auth_timeout:
        fail(ErrorCategory::network, url.host + " timed out waiting for authentication (server: " + server + ")");
      default:
        fail(ErrorCategory::network, url.host + " sent status " + std::string(s.status_text) + " while " +
                                         std::string(phase) + " (server: " + server + ")");
    }
  }

  bool is_failure(WsStatus s) const {
    switch (s) {
      case WsStatus::auth_failed:
      case WsStatus::auth_required:
      case WsStatus::max_connections:
      case WsStatus::auth_timeout:
      case WsStatus::force_disconnect:
      case WsStatus::slow_consumer: return true;
      default: return false;
    }
  }

  // Reads frames until a status `want` arrives; failures throw; data frames are
  // queued for read_frame().
  void await_status(WsStatus want, Clock::time_point deadline, std::string_view phase) {
    for (;;) {
      std::string message;
      if (!read_message(message, deadline, phase))
        fail(ErrorCategory::network, url.host + " closed the connection while " + std::string(phase) + " (code " +
                                         std::to_string(close_info.code) + ", \"" + close_info.reason + "\")");
      frame.clear();
      parser.parse(simdjson::padded_string_view(message), frame);
      if (frame.events_seen == 0 && !frame.rejects.empty())
        fail(ErrorCategory::parse, url.host + " sent a frame that is not a JSON array of events while " +
                                       std::string(phase) + ": " + frame.rejects.front().raw_json.substr(0, 200));
      bool found = false;
      for (const auto& s : frame.statuses) {
        if (is_failure(s.status)) status_failure(s, phase);
        if (s.status == want) found = true;
      }
      if (frame.events_seen > frame.statuses.size()) pending.push_back(std::move(message));
      if (found) return;
    }
  }
};

WsConnection::WsConnection(WsUrl url, WsClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(url), std::move(options))) {}

WsConnection::~WsConnection() { close(); }

bool WsConnection::is_open() const noexcept { return impl_->open; }
const WsUrl& WsConnection::url() const noexcept { return impl_->url; }
const WsCloseInfo& WsConnection::close_info() const noexcept { return impl_->close_info; }
std::uint64_t WsConnection::pings_sent() const noexcept { return impl_->pings; }
std::uint64_t WsConnection::pongs_received() const noexcept { return impl_->pongs; }

void WsConnection::connect(std::string_view api_key) {
  Impl& d = *impl_;
  if (d.connected) throw SoiError(ErrorCategory::config, "WsConnection::connect called twice", d.context);
  d.connected = true;
  d.key = std::string(api_key);
  d.masked_key = mask_secret(api_key);
  struct ForgetKey {
    std::string& key;
    ~ForgetKey() { std::fill(key.begin(), key.end(), '\0'), key.clear(); }
  } forget{d.key};

  d.open_transport();
  const auto deadline = Clock::now() + d.opt.auth_timeout;
  d.await_status(WsStatus::connected, deadline, "waiting for the connected status");
  std::string auth = R"({"action":"auth","params":)";
  append_json_quoted(auth, api_key);
  auth += "}";
  d.write_text(auth, "the auth message");
  std::fill(auth.begin(), auth.end(), '\0');
  d.await_status(WsStatus::auth_success, deadline, "authenticating");
  d.last_activity = d.last_ping = Clock::now();
}

WsSubscribeResult WsConnection::subscribe(std::span<const std::string> topics) {
  Impl& d = *impl_;
  WsSubscribeResult result;
  if (!d.open) throw SoiError(ErrorCategory::network, "subscribe on a connection that is not open", d.context);
  const auto messages = ws_action_messages("subscribe", topics, d.opt.max_topics_per_message);
  for (const auto& m : messages) d.write_text(m, "a subscribe message");

  std::unordered_set<std::string_view> remaining(topics.begin(), topics.end());
  const std::size_t wanted = remaining.size();
  const auto deadline = Clock::now() + d.opt.subscribe_timeout;
  std::string message;
  while (!remaining.empty() && result.confirmed.size() + result.errors.size() < wanted) {
    if (Clock::now() >= deadline) break;
    d.start_read();  // or the read a woken read() left in flight
    if (!d.run_until(d.read_done, deadline)) {
      // Timed out: the read was cancelled, which leaves the stream unusable in
      // Beast; fail rather than hand back a broken connection.
      d.fail(ErrorCategory::network, "no subscription status from " + d.where() + " within " +
                                         seconds_text(d.opt.subscribe_timeout));
    }
    if (!d.take_read(message, "subscribing"))
      d.fail(ErrorCategory::network, d.url.host + " closed the connection while subscribing (code " +
                                         std::to_string(d.close_info.code) + ", \"" + d.close_info.reason + "\")");
    d.frame.clear();
    d.parser.parse(simdjson::padded_string_view(message), d.frame);
    for (const auto& s : d.frame.statuses) {
      if (d.is_failure(s.status)) d.status_failure(s, "subscribing");
      if (s.status == WsStatus::success) {
        constexpr std::string_view kPrefix = "subscribed to: ";
        std::string_view rest = s.message;
        if (!rest.starts_with(kPrefix)) continue;
        rest.remove_prefix(kPrefix.size());
        while (!rest.empty()) {
          auto comma = rest.find(',');
          std::string_view t = rest.substr(0, comma);
          while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
          while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
          if (auto it = remaining.find(t); it != remaining.end()) {
            result.confirmed.emplace_back(*it);
            remaining.erase(it);
          }
          if (comma == std::string_view::npos) break;
          rest.remove_prefix(comma + 1);
        }
      } else if (s.status == WsStatus::error) {
        result.errors.push_back(d.scrub(s.message));
      }
    }
    if (d.frame.events_seen > d.frame.statuses.size()) d.pending.push_back(std::move(message));
  }
  for (const auto& t : topics)
    if (remaining.erase(t)) result.unconfirmed.push_back(t);
  return result;
}

void WsConnection::unsubscribe(std::span<const std::string> topics) {
  Impl& d = *impl_;
  if (!d.open) throw SoiError(ErrorCategory::network, "unsubscribe on a connection that is not open", d.context);
  for (const auto& m : ws_action_messages("unsubscribe", topics, d.opt.max_topics_per_message))
    d.write_text(m, "an unsubscribe message");
}

WsReadResult WsConnection::read(std::string& out) {
  Impl& d = *impl_;
  if (!d.pending.empty()) {
    out.swap(d.pending.front());
    d.pending.pop_front();
    out.reserve(out.size() + simdjson::SIMDJSON_PADDING);
    return WsReadResult::frame;
  }
  if (d.stop.load() || !d.open) {
    if (!d.open && !d.stop.load() && d.close_info.code == 0)
      throw SoiError(ErrorCategory::network, "read on a connection that is not open", d.context);
    return WsReadResult::closed;
  }
  d.start_read();
  while (!d.read_done) {
    if (d.wake_requested.exchange(false)) return WsReadResult::woken;  // the read stays in flight
    const auto now = Clock::now();
    if (now - d.last_activity >= d.opt.idle_timeout) {
      d.cancel_io();
      while (!d.read_done) {
        d.ioc.restart();
        if (d.ioc.run_one() == 0) break;
      }
      d.read_pending = false;
      d.fail(ErrorCategory::network, "no data or pong from " + d.where() + " within " +
                                         seconds_text(d.opt.idle_timeout) + " (keepalive timeout)");
    }
    if (d.write_idle && now - d.last_ping >= d.opt.ping_interval) d.start_ping();
    auto wake = std::min(d.last_activity + d.opt.idle_timeout, d.last_ping + d.opt.ping_interval);
    if (!d.write_idle) wake = d.last_activity + d.opt.idle_timeout;
    d.ioc.restart();
    d.ioc.run_one_until(std::max(wake, now + std::chrono::milliseconds(1)));
  }
  return d.take_read(out, "streaming") ? WsReadResult::frame : WsReadResult::closed;
}

bool WsConnection::read_frame(std::string& out) {
  for (;;) {
    const WsReadResult r = read(out);
    if (r != WsReadResult::woken) return r == WsReadResult::frame;
  }
}

void WsConnection::wake() {
  Impl& d = *impl_;
  d.wake_requested.store(true);
  net::post(d.ioc, [] {});  // ends the io_context wait of a blocked read()
}

void WsConnection::close() noexcept {
  Impl& d = *impl_;
  if (!d.open) return;
  try {
    const auto deadline = Clock::now() + std::chrono::seconds(2);
    d.run_until(d.write_idle, deadline);
    if (d.write_idle) {
      bool done = false;
      d.with_ws([&](auto& ws) { ws.async_close(websocket::close_code::normal, [&](error_code) { done = true; }); });
      d.run_until(done, deadline);
    }
  } catch (...) {
  }
  d.shutdown_socket();
}

void WsConnection::request_stop() {
  Impl& d = *impl_;
  d.stop.store(true);
  net::post(d.ioc, [&d] { d.cancel_io(); });
}

}  // namespace soi
