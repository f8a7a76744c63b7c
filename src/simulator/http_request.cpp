#include "simulator/http_request.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

#include "simulator/query_params.hpp"

namespace soi::sim {
namespace {

std::string_view view(boost::beast::string_view s) { return {s.data(), s.size()}; }

}  // namespace

void apply_request_limits(HttpRequestParser& parser) { parser.body_limit(kMaxRequestBody); }

SimRequest to_sim_request(const boost::beast::http::request<boost::beast::http::string_body>& req) {
  namespace http = boost::beast::http;
  SimRequest r;
  r.method = std::string(view(req.method_string()));
  const SplitTarget target = split_target(view(req.target()));
  r.path = std::string(target.path);
  r.params = QueryParams::parse(target.query);
  r.host = std::string(view(req[http::field::host]));
  r.authorization = std::string(view(req[http::field::authorization]));
  return r;
}

std::optional<SimRequest> parse_sim_request(std::string_view raw) {
  HttpRequestParser parser;
  apply_request_limits(parser);
  parser.eager(true);
  boost::system::error_code ec;
  while (!parser.is_done()) {
    const std::size_t used = parser.put(boost::asio::buffer(raw.data(), raw.size()), ec);
    raw.remove_prefix(used);
    // need_more: every byte there is was given, so the request is cut short. Beast must not
    // be handed the same bytes again (its chunk parser assumes it gets more than last time).
    if (ec) return std::nullopt;
    if (used == 0) return std::nullopt;  // the bytes end before the request does
  }
  return to_sim_request(parser.get());
}

}  // namespace soi::sim
