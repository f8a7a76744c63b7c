#include "simulator/news_endpoint.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "simulator/api_response.hpp"
#include "simulator/cursor_codec.hpp"
#include "simulator/request_params.hpp"

namespace soi::sim {
namespace {

constexpr int kDefaultNewsLimit = 10;
constexpr int kMaxNewsLimit = 1000;
// The synthetic news archive starts here; older queries find nothing.
constexpr Date kFirstNewsDate{date::year{2019}, date::month{1}, date::day{1}};
constexpr std::int64_t kDayMs = 86'400'000;

constexpr std::array<std::string_view, 13> kListingKeys{
    "ticker", "ticker.gt", "ticker.gte", "ticker.lt", "ticker.lte", "published_utc", "published_utc.gt",
    "published_utc.gte", "published_utc.lt", "published_utc.lte", "order", "sort", "limit"};

std::int64_t utc_midnight_ms(Date d) { return to_sys(d).time_since_epoch().count() * kDayMs; }

// Bounds [lo, hi] on published_utc. A bare date compares at day granularity:
// .gte/.lt use its start, .gt/.lte its end, equality means "that UTC day".
struct PublishedWindow {
  std::int64_t lo = std::numeric_limits<std::int64_t>::min();
  std::int64_t hi = std::numeric_limits<std::int64_t>::max();

  void apply(const QueryParams& params, std::string_view suffix) {
    const std::string key = "published_utc" + std::string(suffix);
    const auto text = params.get(key);
    if (!text) return;
    std::int64_t start = 0, end = 0;
    if (auto d = parse_date(*text)) {
      start = utc_midnight_ms(*d);
      end = start + kDayMs - 1;
    } else if (auto ms = parse_rfc3339_ms(*text)) {
      start = end = *ms;
    } else {
      throw BadRequest(fmt::format("Invalid value for '{}': '{}' (RFC 3339 timestamp or YYYY-MM-DD)", key, *text));
    }
    if (suffix.empty()) lo = std::max(lo, start), hi = std::min(hi, end);
    if (suffix == ".gt") lo = std::max(lo, end + 1);
    if (suffix == ".gte") lo = std::max(lo, start);
    if (suffix == ".lt") hi = std::min(hi, start - 1);
    if (suffix == ".lte") hi = std::min(hi, end);
  }
};

std::string format_published(std::int64_t ms) {
  return date::format("%FT%TZ", date::sys_seconds{std::chrono::seconds{ms / 1000}});
}

// `corrupt`: the bad_record fault, an article whose published_utc is not a timestamp.
void write_article(JsonWriter& w, const NewsArticle& a, const RequestScope& scope, bool corrupt = false) {
  w.begin_object();
  w.field("id", a.id);
  w.key("publisher").begin_object();
  w.field("name", a.publisher->name).field("homepage_url", a.publisher->homepage_url);
  w.field("logo_url", a.publisher->logo_url).field("favicon_url", a.publisher->favicon_url);
  w.end_object();
  w.field("title", a.title).field("author", a.author);
  w.field("published_utc", corrupt ? std::string("2025-13-45T99:99:99Z") : format_published(a.published_ms));
  w.field("article_url", a.article_url);
  w.key("tickers").begin_array();
  for (const auto& t : a.tickers) w.value(t);
  w.end_array();
  if (!a.amp_url.empty()) w.field("amp_url", a.amp_url);
  w.field("image_url", a.image_url).field("description", a.description);
  w.key("keywords").begin_array();
  for (const auto& k : a.keywords) w.value(k);
  w.end_array();
  w.key("insights").begin_array();
  for (const auto& i : a.insights) {
    w.begin_object().field("ticker", i.ticker).field("sentiment", i.sentiment);
    w.field("sentiment_reasoning", i.sentiment_reasoning).end_object();
  }
  w.end_array();
  write_new_field(w, scope);
  w.end_object();
}

}  // namespace

SimResponse handle_news(const SimServices& services, const RequestScope& scope) {
  QueryParams params = scope.request.params;
  if (auto cursor = params.get("cursor")) {
    auto decoded = decode_cursor(*cursor);
    if (!decoded) throw BadRequest("Invalid cursor");
    params = *decoded;
  }
  const int limit = parse_limit(params, kDefaultNewsLimit, kMaxNewsLimit);
  const bool ascending = parse_choice(params, "order", "desc", {"asc", "desc"}) == "asc";
  parse_choice(params, "sort", "published_utc", {"published_utc"});
  const auto ticker = RangeFilter<std::string>::parse(
      params, "ticker", [](const std::string&, std::string_view v) { return std::string(v); });
  PublishedWindow window;
  for (std::string_view suffix : {"", ".gt", ".gte", ".lt", ".lte"}) window.apply(params, suffix);
  window.lo = std::max(window.lo, utc_midnight_ms(kFirstNewsDate));
  window.hi = std::min(window.hi, scope.now_ms);  // nothing is published in the future

  // Keyset position of the last article served by the previous page.
  std::optional<std::pair<std::int64_t, std::string>> after;
  if (auto ms = params.get("after_ms"); ms && params.has("after_id")) {
    std::int64_t v = 0;
    std::from_chars(ms->data(), ms->data() + ms->size(), v);
    after.emplace(v, std::string(*params.get("after_id")));
  }
  std::int64_t lo = window.lo, hi = window.hi;
  if (after && ascending) lo = std::max(lo, after->first);
  if (after && !ascending) hi = std::min(hi, after->first);

  std::vector<NewsArticle> page;
  const auto wanted = static_cast<std::size_t>(limit) + 1;
  if (lo <= hi) {
    const auto first_day = to_sys(ny_date_of_utc_ms(lo));
    const auto last_day = to_sys(ny_date_of_utc_ms(hi));
    for (auto day = ascending ? first_day : last_day; first_day <= day && day <= last_day && page.size() < wanted;
         day += date::days{ascending ? 1 : -1}) {
      auto articles = services.news.articles(Date{day});
      if (!ascending) std::reverse(articles.begin(), articles.end());
      for (auto& a : articles) {
        if (a.published_ms < window.lo || a.published_ms > window.hi) continue;
        if (after) {
          const auto key = std::make_pair(a.published_ms, a.id);
          if (ascending ? !(key > *after) : !(key < *after)) continue;
        }
        if (ticker.active() && std::none_of(a.tickers.begin(), a.tickers.end(),
                                            [&](const std::string& t) { return ticker.matches(t); }))
          continue;
        page.push_back(std::move(a));
        if (page.size() >= wanted) break;
      }
    }
  }

  std::string next_url;
  if (page.size() > static_cast<std::size_t>(limit)) {
    page.resize(static_cast<std::size_t>(limit));
    QueryParams next;
    for (const auto& [k, v] : params.items())
      if (std::find(kListingKeys.begin(), kListingKeys.end(), k) != kListingKeys.end()) next.set(k, v);
    next.set("after_ms", std::to_string(page.back().published_ms));
    next.set("after_id", page.back().id);
    next_url = fmt::format("{}/v2/reference/news?cursor={}", scope.base_url, encode_cursor(next));
  }
  JsonWriter w(512 + page.size() * 1200);
  w.begin_object();
  w.key("results").begin_array();
  // Fault bad_record: one article of the page (the middle one) cannot be parsed.
  const std::size_t corrupt = scope.bad_record && !page.empty() ? page.size() / 2 : page.size();
  for (std::size_t i = 0; i < page.size(); ++i) write_article(w, page[i], scope, i == corrupt);
  w.end_array();
  w.field("status", "OK").field("request_id", scope.request_id).field("count", page.size());
  if (!next_url.empty()) w.field("next_url", next_url);
  write_new_field(w, scope);
  w.end_object();
  SimResponse response = json_response(w.take());
  response.bad_record_applied = corrupt < page.size();
  return response;
}

}  // namespace soi::sim
