// News parser (/v2/reference/news): articles kept have an id; the rest are rejects,
// drift, or a SoiError.
#include <cstdint>

#include <simdjson.h>

#include "data_sources/news_parser.hpp"
#include "fuzz_support.hpp"
#include "utils/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static soi::NewsParser parser;
  const simdjson::padded_string body(reinterpret_cast<const char*>(data), size);
  soi::NewsPage page;
  try {
    parser.parse(std::string_view(body.data(), body.size()), page);
  } catch (const soi::SoiError&) {
    return 0;
  }
  for (const soi::NewsArticle& a : page.articles) soi::fuzz::check(!a.id.empty(), "news: kept an article without id");
  soi::fuzz::check(page.articles.size() + page.rejects.size() <= page.results_seen, "news: more records than results");
  return 0;
}
