// One HTTP request of the simulator's REST port, as the router sees it: the
// Beast request parser's limits and the conversion to the transport-neutral
// SimRequest. The server reads requests off a socket with these; a caller
// holding the raw bytes (a test, a fuzzer) goes through parse_sim_request.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "simulator/sim_http.hpp"

namespace soi::sim {

// Largest request body the server reads (requests are GETs; a body is ignored).
// The header limit is Beast's default for requests (8 KiB).
inline constexpr std::size_t kMaxRequestBody = 1 << 20;

using HttpRequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// A request parser with the server's limits.
void apply_request_limits(HttpRequestParser& parser);

// Method, split and decoded target, Host and Authorization.
SimRequest to_sim_request(const boost::beast::http::request<boost::beast::http::string_body>& req);

// `raw` as one complete request, read the way the server reads it; nullopt when
// the bytes are malformed, over a limit, or end before the request does.
std::optional<SimRequest> parse_sim_request(std::string_view raw);

}  // namespace soi::sim
