#include "data_sources/news_fetcher.hpp"

#include "data_sources/parsed_get.hpp"

#include <fmt/format.h>

#include "monitoring/logging.hpp"
#include "utils/time_util.hpp"

namespace soi {

std::string news_query_time(std::int64_t utc_ms) {
  std::string text = format_utc_iso_ms(utc_ms);  // 2025-01-14T05:00:00.000Z
  if (utc_ms % 1000 == 0 && text.size() == 24 && text.compare(19, 5, ".000Z") == 0) text.replace(19, 5, "Z");
  return text;
}

std::string news_path(const NewsRequest& r) {
  return fmt::format("/v2/reference/news?ticker={}&published_utc.gte={}&published_utc.lt={}&order=asc&sort=published_utc"
                     "&limit={}",
                     r.ticker, news_query_time(r.from_ms), news_query_time(r.to_ms), r.page_limit);
}

NewsPageStream::NewsPageStream(RestClient& client, NewsParser& parser, const NewsRequest& request,
                               ErrorContext context, int max_parse_attempts)
    : client_(client), parser_(parser), context_(std::move(context)),
      max_parse_attempts_(max_parse_attempts < 1 ? 1 : max_parse_attempts), next_path_(news_path(request)) {}

bool NewsPageStream::next(NewsPage& page) {
  if (done_) return false;
  const HttpResponse response = get_parsed(
      client_, next_path_, context_, max_parse_attempts_,
      [&](const std::string& body) {
        page.clear();
        parser_.parse(body, page);
      },
      &parse_retries_);
  last_latency_ = response.seconds;
  last_url_ = response.url;
  ++pages_;
  exec_log().debug("news page {} of {}: {} articles, {} rejects, {:.3f} s", pages_, context_.ticker,
                   page.articles.size(), page.rejects.size(), response.seconds);
  if (page.next_url.empty()) done_ = true;
  else next_path_ = page.next_url;
  return true;
}

}  // namespace soi
