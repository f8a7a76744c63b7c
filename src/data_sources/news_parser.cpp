#include "data_sources/news_parser.hpp"

#include <algorithm>

#include "utils/error.hpp"
#include "utils/time_util.hpp"

namespace soi {
namespace {

using simdjson::ondemand::json_type;

constexpr std::size_t kExampleLimit = 120;

std::string_view shorten(std::string_view s) { return s.substr(0, std::min(s.size(), kExampleLimit)); }

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

void NewsParser::note_drift(NewsPage& page, std::string_view field, DriftKind kind, std::string_view example) {
  for (const auto& d : page.drift)
    if (d.kind == kind && d.field == field) return;
  page.drift.push_back({std::string(field), kind, std::string(shorten(example))});
}

void NewsParser::parse(std::string_view body, NewsPage& page) {
  body_end_ = body.data() + body.size();
  auto fail_body = [&](std::string_view what, simdjson::error_code code) -> void {
    throw SoiError(ErrorCategory::parse, std::string(what) + ": " + simdjson::error_message(code) +
                                             " (body starts: " + std::string(shorten(body)) + ")");
  };
  simdjson::ondemand::document doc;
  if (auto err = parser_.iterate(body.data(), body.size(), body.size() + simdjson::SIMDJSON_PADDING).get(doc))
    fail_body("news body is not JSON", err);
  simdjson::ondemand::object envelope;
  if (auto err = doc.get_object().get(envelope)) fail_body("news body is not a JSON object", err);

  for (auto field : envelope) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) fail_body("news envelope", err);
    simdjson::ondemand::value value;
    if (auto err = field.value().get(value)) fail_body("news envelope", err);
    if (key == "results") {
      if (is_null(value)) continue;  // an empty answer may carry null
      simdjson::ondemand::array results;
      if (value.get_array().get(results)) {
        note_drift(page, "envelope.results", DriftKind::type_changed, "not an array");
        continue;
      }
      for (auto element : results) {
        simdjson::ondemand::value article;
        if (auto err = element.get(article)) fail_body("news results", err);
        ++page.results_seen;
        parse_article(article, page);
      }
    } else if (key == "status") {
      if (get_text(value, page.status) != Got::ok) fail_body("news status", simdjson::INCORRECT_TYPE);
    } else if (key == "next_url") {
      if (get_text(value, page.next_url) == Got::wrong) fail_body("news next_url", simdjson::INCORRECT_TYPE);
    } else if (key == "request_id") {
      get_text(value, page.request_id);
    } else if (key == "count" || key == "error" || key == "message") {
      // Known envelope fields we do not store (error answers fail the status check below).
    } else {
      note_drift(page, "envelope." + std::string(key), DriftKind::unknown_field, value.raw_json_token());
    }
  }
  if (page.status != "OK" && page.status != "DELAYED") {
    throw SoiError(ErrorCategory::server, "news answer has status \"" + page.status +
                                              "\" (expected OK or DELAYED): " + std::string(shorten(body)));
  }
}

void NewsParser::parse_strings(simdjson::ondemand::value value, std::string_view field,
                               std::vector<std::string>& out, NewsPage& page) {
  if (is_null(value)) return;
  simdjson::ondemand::array array;
  if (value.get_array().get(array)) {
    note_drift(page, "results[]." + std::string(field), DriftKind::type_changed, value.raw_json_token());
    return;
  }
  for (auto element : array) {
    simdjson::ondemand::value v;
    if (auto err = element.get(v)) fail(field, err);
    std::string text;
    const Got got = get_text(v, text);
    if (got == Got::ok) out.push_back(std::move(text));
    else if (got == Got::wrong)
      note_drift(page, "results[]." + std::string(field) + "[]", DriftKind::type_changed, v.raw_json_token());
  }
}

void NewsParser::parse_publisher(simdjson::ondemand::value value, NewsArticle& article, NewsPage& page) {
  simdjson::ondemand::object obj;
  if (value.get_object().get(obj)) {
    note_drift(page, "results[].publisher", DriftKind::type_changed, value.raw_json_token());
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
      if (got == Got::wrong) note_drift(page, "results[].publisher.name", DriftKind::type_changed, v.raw_json_token());
    } else if (key == "homepage_url" || key == "logo_url" || key == "favicon_url") {
      // Known, not stored.
    } else {
      note_drift(page, "results[].publisher." + std::string(key), DriftKind::unknown_field, v.raw_json_token());
    }
  }
  if (!has_name) note_drift(page, "results[].publisher.name", DriftKind::missing_optional_field, "");
}

void NewsParser::parse_insights(simdjson::ondemand::value value, NewsArticle& article, NewsPage& page) {
  if (is_null(value)) return;
  simdjson::ondemand::array array;
  if (value.get_array().get(array)) {
    note_drift(page, "results[].insights", DriftKind::type_changed, value.raw_json_token());
    return;
  }
  for (auto element : array) {
    simdjson::ondemand::value v;
    if (auto err = element.get(v)) fail("insights", err);
    simdjson::ondemand::object obj;
    if (v.get_object().get(obj)) {
      note_drift(page, "results[].insights[]", DriftKind::type_changed, v.raw_json_token());
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
        note_drift(page, "results[].insights[]." + std::string(key), DriftKind::unknown_field, fv.raw_json_token());
        continue;
      }
      const Got got = get_text(fv, *target);
      if (got == Got::wrong)
        note_drift(page, "results[].insights[]." + std::string(key), DriftKind::type_changed, fv.raw_json_token());
      if (target == &insight.ticker) has_ticker = got == Got::ok && !insight.ticker.empty();
    }
    if (!has_ticker) {
      // An insight about no ticker cannot fill any sentiment column.
      note_drift(page, "results[].insights[].ticker", DriftKind::missing_optional_field, "");
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
    page.rejects.push_back({"not_an_object: article is not a JSON object", std::string(shorten(first_token)), 0});
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
        note_drift(page, "results[]." + std::string(key), DriftKind::type_changed, v.raw_json_token());
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
      note_drift(page, "results[]." + std::string(key), DriftKind::unknown_field, v.raw_json_token());
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
           : (seen & kPublished) ? "invalid_published_utc: '" + std::string(shorten(published_text)) +
                                       "' is not an RFC 3339 timestamp"
                                 : "invalid_published_utc: missing",
           0);
    return;
  }
  article.published_ms = *published;
  if (!(seen & kTitle)) note_drift(page, "results[].title", DriftKind::missing_optional_field, "");
  if (!(seen & kUrl)) note_drift(page, "results[].article_url", DriftKind::missing_optional_field, "");
  if (!(seen & kPublisher)) note_drift(page, "results[].publisher", DriftKind::missing_optional_field, "");
  if (!(seen & kTickers)) note_drift(page, "results[].tickers", DriftKind::missing_optional_field, "");
  page.articles.push_back(std::move(article));
}

}  // namespace soi
