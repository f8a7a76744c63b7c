// Extension point for the WebSocket half of the simulator: an HTTP request that
// asks for an upgrade is handed over, with its socket, to a registered handler
// (which then owns the connection until it returns). Without a handler the
// server answers 501 with an ERROR body.
#pragma once

#include <functional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace soi::sim {

struct WebSocketUpgrade {
  boost::asio::ip::tcp::socket& socket;
  boost::beast::http::request<boost::beast::http::string_body> request;
  // True once the server is stopping; long-lived sessions should poll it (the
  // socket is also shut down at stop, which fails any blocking read).
  std::function<bool()> stopping;
};

}  // namespace soi::sim
