#include "data_sources/aggregates_fetcher.hpp"

#include "data_sources/parsed_get.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "monitoring/logging.hpp"

namespace soi {

std::string aggregates_path(const AggregatesRequest& r) {
  // Inclusive range on the wire: the last bar may start at to - 1 step.
  std::string path = fmt::format("/v2/aggs/ticker/{}/range/1/{}/{}/{}?sort=asc&limit={}", r.ticker, r.timespan,
                                 r.window.from_ms, r.window.to_ms - r.window.step_ms, r.page_limit);
  if (r.shape == AggsShape::equity) path += r.adjusted ? "&adjusted=true" : "&adjusted=false";
  return path;
}

AggregatesPageStream::AggregatesPageStream(RestClient& client, AggsParser& parser, const AggregatesRequest& request,
                                           ErrorContext context, int max_parse_attempts)
    : client_(client), parser_(&parser), window_(request.window), context_(std::move(context)),
      max_parse_attempts_(max_parse_attempts < 1 ? 1 : max_parse_attempts), next_path_(aggregates_path(request)) {}

AggregatesPageStream::AggregatesPageStream(RestClient& client, const SeatedAggsParsers& parsers,
                                           std::int64_t turn_key, const AggregatesRequest& request,
                                           ErrorContext context, int max_parse_attempts)
    : client_(client), seated_(parsers), turn_key_(turn_key), window_(request.window), context_(std::move(context)),
      max_parse_attempts_(max_parse_attempts < 1 ? 1 : max_parse_attempts), next_path_(aggregates_path(request)) {
  if (parsers.by_seat.size() < parsers.turns.permits())
    throw std::invalid_argument("aggregates page stream: fewer parsers than seats");
}

void AggregatesPageStream::parse(std::string_view body, AggsPage& page) {
  page.clear();
  if (!seated_) {
    parser_->parse(body, window_, page);
    return;
  }
  const OrderedTurns::Turn turn = seated_->turns.take(turn_key_);
  seated_->by_seat[turn.seat()].parse(body, window_, page);
}

bool AggregatesPageStream::next(AggsPage& page) {
  if (done_) return false;
  const HttpResponse response = get_parsed(
      client_, next_path_, context_, max_parse_attempts_,
      [&](const std::string& body) { parse(body, page); },
      &parse_retries_);
  last_latency_ = response.seconds;
  ++pages_;
  exec_log().debug("page {} of {} {}: {} bars, {} rejects, {:.3f} s", pages_, context_.ticker, context_.date,
                   page.bars.size(), page.rejects.size(), response.seconds);
  if (page.next_url.empty()) done_ = true;
  else next_path_ = page.next_url;
  return true;
}

}  // namespace soi
