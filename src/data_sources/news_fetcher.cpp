#include "data_sources/news_fetcher.hpp"

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
  for (int attempt = 1;; ++attempt) {
    HttpResponse response = client_.get(next_path_, context_);
    last_latency_ = response.seconds;
    last_url_ = response.url;
    page.clear();
    try {
      parser_.parse(response.body, page);
    } catch (const SoiError& e) {
      ErrorContext ctx = context_;
      ctx.url = response.url;
      if (e.category() != ErrorCategory::parse || attempt >= max_parse_attempts_)
        throw SoiError(e.category(), e.message(), ctx, static_cast<int>(response.status));
      ++parse_retries_;
      exec_log().debug("refetching unparseable news page ({}): {}", response.url, e.message());
      continue;
    }
    ++pages_;
    exec_log().debug("news page {} of {}: {} articles, {} rejects, {:.3f} s", pages_, context_.ticker,
                     page.articles.size(), page.rejects.size(), response.seconds);
    if (page.next_url.empty()) done_ = true;
    else next_path_ = page.next_url;
    return true;
  }
}

}  // namespace soi
