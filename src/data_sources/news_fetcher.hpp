// Pull-based ticker-news download (/v2/reference/news): one page in memory at
// a time, following next_url until the last page. A page whose body cannot be
// parsed (truncated, malformed) is fetched again within the retry budget
// before the stream fails.
#pragma once

#include <cstdint>
#include <string>

#include "data_sources/news_parser.hpp"
#include "data_sources/rest_client.hpp"

namespace soi {

struct NewsRequest {
  std::string ticker = "SPY";
  std::int64_t from_ms = 0;  // published_utc >= from (UTC ms)
  std::int64_t to_ms = 0;    // published_utc <  to
  int page_limit = 1000;     // 1..1000
};

// RFC 3339 UTC for a query parameter: "2025-01-14T05:00:00Z" (".123Z" only when
// the instant has milliseconds).
std::string news_query_time(std::int64_t utc_ms);

// The first page's path:
// /v2/reference/news?ticker=T&published_utc.gte=...&published_utc.lt=...&order=asc&sort=published_utc&limit=N
std::string news_path(const NewsRequest& request);

class NewsPageStream {
 public:
  NewsPageStream(RestClient& client, NewsParser& parser, const NewsRequest& request, ErrorContext context,
                 int max_parse_attempts);

  // Fills `page` with the next page; false when the previous page was the last.
  // Throws SoiError (context with the page's URL) when a page cannot be had.
  bool next(NewsPage& page);

  bool done() const { return done_; }
  std::uint64_t pages() const { return pages_; }
  std::uint64_t parse_retries() const { return parse_retries_; }
  double last_latency_seconds() const { return last_latency_; }
  const std::string& last_url() const { return last_url_; }  // redacted URL of the last page fetched

 private:
  RestClient& client_;
  NewsParser& parser_;
  ErrorContext context_;
  int max_parse_attempts_;
  std::string next_path_;
  std::string last_url_;
  bool done_ = false;
  std::uint64_t pages_ = 0;
  std::uint64_t parse_retries_ = 0;
  double last_latency_ = 0;
};

}  // namespace soi
