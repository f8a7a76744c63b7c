#include "data_sources/aggs_parser.hpp"

#include <algorithm>

#include "utils/error.hpp"

namespace soi {
namespace {

using simdjson::ondemand::json_type;

constexpr std::size_t kExampleLimit = 120;

std::string_view shorten(std::string_view s) { return s.substr(0, std::min(s.size(), kExampleLimit)); }

}  // namespace

void AggsPage::clear() {
  status.clear();
  request_id.clear();
  next_url.clear();
  bars.clear();
  rejects.clear();
  drift.clear();
  results_seen = 0;
}

std::string_view json_object_at(const char* start, const char* limit) {
  int depth = 0;
  bool in_string = false;
  for (const char* p = start; p < limit; ++p) {
    char c = *p;
    if (in_string) {
      if (c == '\\') ++p;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') ++depth;
    else if (c == '}' || c == ']') {
      if (--depth == 0) return {start, static_cast<std::size_t>(p - start + 1)};
    }
  }
  return {start, static_cast<std::size_t>(limit - start)};
}

void AggsParser::note_drift(AggsPage& page, std::string_view field, DriftKind kind, std::string_view example) {
  for (const auto& d : page.drift)
    if (d.kind == kind && d.field == field) return;
  page.drift.push_back({std::string(field), kind, std::string(shorten(example))});
}

void AggsParser::parse(std::string_view body, const BarWindow& window, AggsPage& page) {
  body_end_ = body.data() + body.size();
  simdjson::ondemand::document doc;
  auto fail = [&](std::string_view what, simdjson::error_code code) -> void {
    throw SoiError(ErrorCategory::parse, std::string(what) + ": " + simdjson::error_message(code) +
                                             " (body starts: " + std::string(shorten(body)) + ")");
  };
  if (auto err = parser_.iterate(body.data(), body.size(), body.size() + simdjson::SIMDJSON_PADDING).get(doc))
    fail("aggregates body is not JSON", err);
  simdjson::ondemand::object envelope;
  if (auto err = doc.get_object().get(envelope)) fail("aggregates body is not a JSON object", err);

  for (auto field : envelope) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) fail("aggregates envelope", err);
    simdjson::ondemand::value value;
    if (auto err = field.value().get(value)) fail("aggregates envelope", err);
    if (key == "results") {
      simdjson::ondemand::array results;
      if (value.get_array().get(results)) {
        note_drift(page, "envelope.results", DriftKind::type_changed, "not an array");
        continue;
      }
      for (auto element : results) {
        simdjson::ondemand::value bar_value;
        if (auto err = element.get(bar_value)) fail("aggregates results", err);
        ++page.results_seen;
        parse_bar(bar_value, window, page);
      }
    } else if (key == "status") {
      std::string_view s;
      if (value.get_string().get(s)) fail("aggregates status", simdjson::INCORRECT_TYPE);
      page.status = s;
    } else if (key == "next_url") {
      std::string_view s;
      if (value.get_string().get(s)) fail("aggregates next_url", simdjson::INCORRECT_TYPE);
      page.next_url = s;
    } else if (key == "request_id") {
      std::string_view s;
      if (!value.get_string().get(s)) page.request_id = s;
    } else if (key == "ticker" || key == "queryCount" || key == "resultsCount" || key == "adjusted" ||
               key == "count") {
      // Known envelope fields we do not store.
    } else if (key == "error" || key == "message") {
      // Present on error answers; the status check below reports them.
    } else {
      std::string_view raw;
      raw = value.raw_json_token();
      note_drift(page, "envelope." + std::string(key), DriftKind::unknown_field, raw);
    }
  }
  if (page.status != "OK" && page.status != "DELAYED") {
    throw SoiError(ErrorCategory::server, "aggregates answer has status \"" + page.status +
                                              "\" (expected OK or DELAYED): " + std::string(shorten(body)));
  }
}

void AggsParser::parse_bar(simdjson::ondemand::value value, const BarWindow& window, AggsPage& page) {
  std::string_view first_token = value.raw_json_token();
  const char* start = first_token.data();
  auto reject = [&](std::string reason) {
    // Re-read the record's raw text only on this rare path.
    const char* limit = body_end_;
    page.rejects.push_back({std::move(reason), std::string(json_object_at(start, limit))});
  };

  simdjson::ondemand::object obj;
  if (value.get_object().get(obj)) {
    page.rejects.push_back({"bar is not a JSON object", std::string(shorten(first_token))});
    return;
  }
  Bar bar;
  unsigned seen = 0;  // bit per known key
  enum : unsigned { kT = 1, kO = 2, kH = 4, kL = 8, kC = 16, kV = 32, kVW = 64, kN = 128 };
  const char* type_error = nullptr;

  for (auto field : obj) {
    simdjson::ondemand::raw_json_string raw_key;
    if (field.key().get(raw_key)) throw SoiError(ErrorCategory::parse, "aggregates bar: bad key");
    const char* k = raw_key.raw();
    // Keys are 1-2 ASCII letters on the wire; the closing quote tells the length.
    unsigned bit = 0;
    double* target = nullptr;
    if (k[1] == '"') {
      switch (k[0]) {
        case 't': bit = kT; break;
        case 'o': bit = kO; target = &bar.open; break;
        case 'h': bit = kH; target = &bar.high; break;
        case 'l': bit = kL; target = &bar.low; break;
        case 'c': bit = kC; target = &bar.close; break;
        case 'v': bit = kV; target = &bar.volume; break;
        case 'n': bit = kN; break;
        default: break;
      }
    } else if (k[0] == 'v' && k[1] == 'w' && k[2] == '"') {
      bit = kVW;
      target = &bar.vwap;
    } else if (k[0] == 'o' && k[1] == 't' && k[2] == 'c' && k[3] == '"') {
      continue;  // otc flag: contract-known, not stored
    }
    simdjson::ondemand::value v = field.value();
    if (bit == 0) {
      std::string_view raw;
      raw = v.raw_json_token();
      std::string name = "results[].";
      name.append(k, std::find(k, k + 64, '"'));
      note_drift(page, name, DriftKind::unknown_field, raw);
      continue;
    }
    bool ok;
    if (target) {
      ok = !v.get_double().get(*target);
    } else {
      std::int64_t iv = 0;
      ok = !v.get_int64().get(iv);
      if (!ok) {  // tolerate 1.7e12-style integers
        double dv = 0;
        ok = !v.get_double().get(dv) && dv == static_cast<double>(static_cast<std::int64_t>(dv));
        iv = static_cast<std::int64_t>(dv);
      }
      (bit == kT ? bar.ts_ms : bar.transactions) = iv;
    }
    if (!ok) {
      std::string_view raw;
      raw = v.raw_json_token();
      std::string name = "results[].";
      name.append(k, std::find(k, k + 64, '"'));
      note_drift(page, name, DriftKind::type_changed, raw);
      if (!type_error) type_error = "field has the wrong type";
      continue;
    }
    seen |= bit;
  }

  const unsigned required = shape_ == AggsShape::equity ? (kT | kO | kH | kL | kC | kV) : (kT | kO | kH | kL | kC);
  if ((seen & required) != required) {
    reject(type_error ? std::string(type_error) : "required field missing (t, o, h, l, c" +
                                                      std::string(shape_ == AggsShape::equity ? ", v)" : ")"));
    return;
  }
  if (shape_ == AggsShape::equity) {
    if (!(seen & kVW)) note_drift(page, "results[].vw", DriftKind::missing_optional_field, "");
    if (!(seen & kN)) note_drift(page, "results[].n", DriftKind::missing_optional_field, "");
  }
  bar.fields = static_cast<std::uint8_t>(((seen & kV) ? kBarHasVolume : 0) | ((seen & kVW) ? kBarHasVwap : 0) |
                                         ((seen & kN) ? kBarHasTransactions : 0));
  if (const char* reason = validate_bar(bar, window)) {
    reject(reason);
    return;
  }
  page.bars.push_back(bar);
}

}  // namespace soi
