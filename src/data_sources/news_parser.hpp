// Parses a ticker-news answer (/v2/reference/news) with simdjson On-Demand
// straight into NewsArticle records. One parser instance is reused for every
// page (simdjson's buffers stay allocated).
//
// As for bars, bad records are not dropped: an article without a string id or
// with an unparseable published_utc comes back as a reject with its raw JSON
// and the reason, for the quarantine. Fields the contract does not name,
// expected fields that are missing and changed types come back as drift
// observations (distinct per page). Fields the contract declares optional
// (author, description, keywords, insights, amp_url, image_url) may be absent
// without drift; JSON null counts as absent.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "data_sources/response_envelope.hpp"  // FieldDrift, json_object_at
#include "processing/records.hpp"

namespace soi {

struct NewsReject {
  std::string reason;
  std::string raw_json;
  std::int64_t published_ms = 0;  // when it could be read (0: unknown), to file the reject by date
};

struct NewsPage {
  std::string status;      // OK | DELAYED
  std::string request_id;
  std::string next_url;    // "" on the last page
  std::vector<NewsArticle> articles;  // valid articles, in wire order
  std::vector<NewsReject> rejects;
  std::vector<FieldDrift> drift;
  std::uint64_t results_seen = 0;

  void clear();
};

class NewsParser {
 public:
  // `body` must be followed by simdjson::SIMDJSON_PADDING readable bytes
  // (RestClient reserves them). Appends to `page`. Throws SoiError(parse) when
  // the body is not a JSON news envelope, SoiError(server) when the envelope's
  // status is not OK/DELAYED.
  void parse(std::string_view body, NewsPage& page);

 private:
  // One element of `results`: a valid article, a reject or drift.
  void parse_article(simdjson::ondemand::value value, NewsPage& page);
  void parse_publisher(simdjson::ondemand::value value, NewsArticle& article, NewsPage& page);
  void parse_insights(simdjson::ondemand::value value, NewsArticle& article, NewsPage& page);
  void parse_strings(simdjson::ondemand::value value, std::string_view field, std::vector<std::string>& out,
                     NewsPage& page);

  const char* body_end_ = nullptr;
  simdjson::ondemand::parser parser_;
};

}  // namespace soi
