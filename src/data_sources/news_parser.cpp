#include "data_sources/news_parser.hpp"

#include <algorithm>

#include "utils/error.hpp"
#include "utils/time_util.hpp"

namespace soi {
namespace {

using simdjson::ondemand::json_type;

const EnvelopeSpec kNewsEnvelope{"news", {}, /*null_is_absent=*/true};

enum class Got { ok, null, wrong };

// A string field: its unescaped text, null (treated as absent) or the wrong type.
Got get_text(simdjson::ondemand::value v, std::string& out) {
  json_type type;
  if (v.type().get(type)) return Got::wrong;
  if (type == json_type::null) return Got::null;
  std::string_view s;
  if (type != json_type::string || v.get_string().get(s)) return Got::wrong;
  out.assign(s);
  return Got::ok;
}

bool is_null(simdjson::ondemand::value v) {
  json_type type;
  return !v.type().get(type) && type == json_type::null;
}

[[noreturn]] void fail(std::string_view what, simdjson::error_code code) {
  throw SoiError(ErrorCategory::parse, "news answer: " + std::string(what) + ": " + simdjson::error_message(code));
}

}  // namespace

void NewsPage::clear() {
  status.clear();
  request_id.clear();
  next_url.clear();
  articles.clear();
  rejects.clear();
  drift.clear();
  results_seen = 0;
}

void NewsParser::parse(std::string_view body, NewsPage& page) {
  body_end_ = body.data() + body.size();
  parse_response_envelope(parser_, body, kNewsEnvelope,
                          {page.status, page.request_id, page.next_url, page.drift, page.results_seen},
                          [&](simdjson::ondemand::value article) { parse_article(article, page); });
}

void NewsParser::parse_strings(simdjson::ondemand::value value, std::string_view field,
                               std::vector<std::string>& out, NewsPage& page) {
  if (is_null(value)) return;
  simdjson::ondemand::array array;
  if (value.get_array().get(array)) {
    note_drift(page.drift, "results[]." + std::string(field), DriftKind::type_changed, value.raw_json_token());
    return;
  }
  for (auto element : array) {
    simdjson::ondemand::value v;
    if (auto err = element.get(v)) fail(field, err);
    std::string text;
    const Got got = get_text(v, text);
    if (got == Got::ok) out.push_back(std::move(text));
    else if (got == Got::wrong)
      note_drift(page.drift, "results[]." + std::string(field) + "[]", DriftKind::type_changed, v.raw_json_token());
  }
}

void NewsParser::parse_publisher(simdjson::ondemand::value value, NewsArticle& article, NewsPage& page) {
  simdjson::ondemand::object obj;
  if (value.get_object().get(obj)) {
    note_drift(page.drift, "results[].publisher", DriftKind::type_changed, value.raw_json_token());
    return;
  }
  bool has_name = false;
  for (auto field : obj) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) fail("publisher", err);
    simdjson::ondemand::value v;
    if (auto err = field.value().get(v)) fail("publisher", err);
    if (key == "name") {
      const Got got = get_text(v, article.publisher);
      has_name = got == Got::ok;
      if (got == Got::wrong)
        note_drift(page.drift, "results[].publisher.name", DriftKind::type_changed, v.raw_json_token());
    } else if (key == "homepage_url" || key == "logo_url" || key == "favicon_url") {
      // Known, not stored.
    } else {
      note_drift(page.drift, "results[].publisher." + std::string(key), DriftKind::unknown_field, v.raw_json_token());
    }
  }
  if (!has_name) note_drift(page.drift, "results[].publisher.name", DriftKind::missing_optional_field, "");
}

void NewsParser::parse_insights(simdjson::ondemand::value value, NewsArticle& article, NewsPage& page) {
  if (is_null(value)) return;
  simdjson::ondemand::array array;
  if (value.get_array().get(array)) {
    note_drift(page.drift, "results[].insights", DriftKind::type_changed, value.raw_json_token());
    return;
  }
  for (auto element : array) {
    simdjson::ondemand::value v;
    if (auto err = element.get(v)) fail("insights", err);
    simdjson::ondemand::object obj;
    if (v.get_object().get(obj)) {
      note_drift(page.drift, "results[].insights[]", DriftKind::type_changed, v.raw_json_token());
      continue;
    }
    NewsInsight insight;
    bool has_ticker = false;
    for (auto field : obj) {
      std::string_view key;
      if (auto err = field.unescaped_key().get(key)) fail("insights", err);
      simdjson::ondemand::value fv;
      if (auto err = field.value().get(fv)) fail("insights", err);
      std::string* target = nullptr;
      if (key == "ticker") target = &insight.ticker;
      else if (key == "sentiment") target = &insight.sentiment;
      else if (key == "sentiment_reasoning") target = &insight.reasoning;
      if (!target) {
        note_drift(page.drift, "results[].insights[]." + std::string(key), DriftKind::unknown_field,
                   fv.raw_json_token());
        continue;
      }
      const Got got = get_text(fv, *target);
      if (got == Got::wrong)
        note_drift(page.drift, "results[].insights[]." + std::string(key), DriftKind::type_changed,
                   fv.raw_json_token());
      if (target == &insight.ticker) has_ticker = got == Got::ok && !insight.ticker.empty();
    }
    if (!has_ticker) {
      // An insight about no ticker cannot fill any sentiment column.
      note_drift(page.drift, "results[].insights[].ticker", DriftKind::missing_optional_field, "");
      continue;
    }
    article.insights.push_back(std::move(insight));
  }
}

void NewsParser::parse_article(simdjson::ondemand::value value, NewsPage& page) {
  const std::string_view first_token = value.raw_json_token();
  const char* start = first_token.data();

  simdjson::ondemand::object obj;
  if (value.get_object().get(obj)) {
    page.rejects.push_back({"not_an_object: article is not a JSON object", std::string(excerpt(first_token)), 0});
    return;
  }
  NewsArticle article;
  enum : unsigned { kId = 1, kPublished = 2, kTitle = 4, kUrl = 8, kPublisher = 16, kTickers = 32 };
  unsigned seen = 0;
  std::string published_text;
  bool published_wrong_type = false, id_wrong_type = false;

  for (auto field : obj) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) fail("article", err);
    simdjson::ondemand::value v;
    if (auto err = field.value().get(v)) fail("article", err);

    auto text_field = [&](std::string& target, unsigned bit) {
      const Got got = get_text(v, target);
      if (got == Got::ok) seen |= bit;
      else if (got == Got::wrong)
        note_drift(page.drift, "results[]." + std::string(key), DriftKind::type_changed, v.raw_json_token());
      return got;
    };
    if (key == "id") {
      id_wrong_type = text_field(article.id, kId) == Got::wrong;
    } else if (key == "published_utc") {
      published_wrong_type = text_field(published_text, kPublished) == Got::wrong;
    } else if (key == "title") {
      text_field(article.title, kTitle);
    } else if (key == "description") {
      text_field(article.description, 0);
    } else if (key == "author") {
      text_field(article.author, 0);
    } else if (key == "article_url") {
      text_field(article.article_url, kUrl);
    } else if (key == "amp_url" || key == "image_url") {
      std::string ignored;
      text_field(ignored, 0);
    } else if (key == "publisher") {
      if (!is_null(v)) {
        seen |= kPublisher;
        parse_publisher(v, article, page);
      }
    } else if (key == "tickers") {
      if (!is_null(v)) seen |= kTickers;
      parse_strings(v, "tickers", article.tickers, page);
    } else if (key == "keywords") {
      parse_strings(v, "keywords", article.keywords, page);
    } else if (key == "insights") {
      parse_insights(v, article, page);
    } else {
      note_drift(page.drift, "results[]." + std::string(key), DriftKind::unknown_field, v.raw_json_token());
    }
  }

  auto reject = [&](std::string reason, std::int64_t published_ms) {
    // Re-read the record's raw text only on this rare path.
    page.rejects.push_back({std::move(reason), std::string(json_object_at(start, body_end_)), published_ms});
  };
  std::optional<std::int64_t> published;
  if (seen & kPublished) published = parse_rfc3339_ms(published_text);
  if (!(seen & kId) || article.id.empty()) {
    reject(id_wrong_type ? "missing_id: id is not a string" : "missing_id: article has no id", published.value_or(0));
    return;
  }
  if (!published) {
    reject(published_wrong_type    ? "invalid_published_utc: not a string"
           : (seen & kPublished) ? "invalid_published_utc: '" + std::string(excerpt(published_text)) +
                                       "' is not an RFC 3339 timestamp"
                                 : "invalid_published_utc: missing",
           0);
    return;
  }
  article.published_ms = *published;
  if (!(seen & kTitle)) note_drift(page.drift, "results[].title", DriftKind::missing_optional_field, "");
  if (!(seen & kUrl)) note_drift(page.drift, "results[].article_url", DriftKind::missing_optional_field, "");
  if (!(seen & kPublisher)) note_drift(page.drift, "results[].publisher", DriftKind::missing_optional_field, "");
  if (!(seen & kTickers)) note_drift(page.drift, "results[].tickers", DriftKind::missing_optional_field, "");
  page.articles.push_back(std::move(article));
}

}  // namespace soi
