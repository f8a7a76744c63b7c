// One WebSocket connection to a Polygon/Massive market cluster (contract §7):
// ws:// or wss:// (TLS with SNI and certificate verification against the
// system store), the connected -> auth -> subscribe handshake, then raw text
// frames for the caller's WsEventParser.
//
// Blocking API for one reader thread per connection. Every call has a deadline;
// keepalive is client-side: a ping every ping_interval, and a read fails when
// neither data nor a pong arrived within idle_timeout (like the Go client).
// Errors are SoiError with category network / auth / rate_limit / parse and
// ErrorContext{source, "", "", url}; the API key never appears in a message,
// an error or a URL (the key travels only in the auth message).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace soi {

struct WsUrl {
  bool tls = true;             // wss
  std::string host;            // "socket.massive.com", "127.0.0.1"
  std::uint16_t port = 443;
  std::string path = "/";      // "/stocks" (request target, query included when given)

  // "wss://socket.massive.com/stocks"; the port only when not the scheme's default;
  // no query string (nothing secret can leak through it).
  std::string text() const;
  // "stocks", "options", "indices", "futures/cme": the path without '/' and query.
  std::string market() const;
};

// Accepts ws://host[:port][/path] and wss://... (IPv6 literals in brackets).
// Throws SoiError(config) otherwise (user info is refused).
WsUrl parse_ws_url(std::string_view url);

struct WsClientOptions {
  std::string source;  // ErrorContext.source: "spy", "vix", "options", ...
  std::chrono::milliseconds connect_timeout{10000};    // DNS + TCP + TLS + WebSocket handshake
  std::chrono::milliseconds auth_timeout{10000};       // "connected" and "auth_success" statuses
  std::chrono::milliseconds subscribe_timeout{10000};  // waiting for the per-topic statuses
  std::chrono::milliseconds write_timeout{10000};
  std::chrono::milliseconds ping_interval{20000};
  std::chrono::milliseconds idle_timeout{30000};       // no data nor pong for this long: the read fails
  std::size_t max_topics_per_message = 500;            // and always under the 1 MB message limit
  std::size_t max_message_bytes = 64u << 20;           // largest frame accepted from the server
  std::string ca_file;  // extra trusted CA certificates (PEM), beside the system store; tests only
  std::string user_agent = "soi";
};

struct WsSubscribeResult {
  std::vector<std::string> confirmed;    // "subscribed to: <topic>" seen
  std::vector<std::string> unconfirmed;  // no confirmation before subscribe_timeout (input order)
  std::vector<std::string> errors;       // messages of "error" statuses
  bool ok() const { return unconfirmed.empty() && errors.empty(); }
};

enum class WsReadResult {
  frame,   // `out` holds the next frame
  closed,  // the server closed the connection (see close_info()), or request_stop()
  woken,   // wake() was called: no frame yet, the read stays pending for the next call
};

struct WsCloseInfo {
  int code = 0;  // WebSocket close code; 0 when no close frame was received
  std::string reason;
};

class WsConnection {
 public:
  WsConnection(WsUrl url, WsClientOptions options);
  ~WsConnection();  // close()
  WsConnection(const WsConnection&) = delete;
  WsConnection& operator=(const WsConnection&) = delete;

  // Connects, reads "connected", authenticates. Throws SoiError:
  //   auth       auth_failed / auth_required
  //   rate_limit max_connections ("the account's connection limit for <market> is reached ...")
  //   network    DNS, TCP, TLS (including certificate verification), timeouts, auth_timeout,
  //              force_disconnect, a close during the handshake
  //   parse      a handshake frame that is not the JSON the contract describes
  void connect(std::string_view api_key);

  // Sends the topics (at most max_topics_per_message per message, each under
  // 1 MB) and collects the per-topic statuses until all are confirmed or
  // subscribe_timeout. Data frames arriving meanwhile are kept for read_frame().
  // Also between two reads of a stream (e.g. after read() returned woken).
  // Throws like connect() for auth_required / max_connections / disconnects.
  WsSubscribeResult subscribe(std::span<const std::string> topics);
  // Sends the unsubscribe messages; confirmations arrive as ordinary frames.
  void unsubscribe(std::span<const std::string> topics);

  // The next frame from the server (text as sent), with SIMDJSON_PADDING bytes
  // of capacity reserved past its end (parse with padded_string_view(out)).
  // Returns false when the server closed the connection with a close frame
  // (see close_info()) or after request_stop(). Throws SoiError(network) when
  // the connection breaks or the keepalive deadline passes.
  bool read_frame(std::string& out);
  // read_frame() that also returns, with WsReadResult::woken, when wake() is
  // called: how a reader blocked on a quiet connection gets to subscribe more
  // topics now rather than at the next frame.
  WsReadResult read(std::string& out);
  // Thread-safe: makes a blocked (or the next) read() return woken.
  void wake();

  // Sends a close frame (bounded wait) and closes the socket. Never throws.
  void close() noexcept;
  // Thread-safe: makes a blocked (or the next) read_frame() return false.
  void request_stop();

  bool is_open() const noexcept;
  const WsUrl& url() const noexcept;
  const WsCloseInfo& close_info() const noexcept;
  std::uint64_t pings_sent() const noexcept;
  std::uint64_t pongs_received() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace soi
