#include "data_sources/aggs_parser.hpp"

#include <algorithm>

#include "data_sources/json_number.hpp"

#include "utils/error.hpp"

namespace soi {
namespace {

// Envelope keys of the aggregates contract that are not stored.
constexpr std::string_view kIgnoredEnvelopeKeys[] = {"ticker", "queryCount", "resultsCount", "adjusted"};
const EnvelopeSpec kAggsEnvelope{"aggregates", kIgnoredEnvelopeKeys};

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

void AggsParser::parse(std::string_view body, const BarWindow& window, AggsPage& page) {
  body_end_ = body.data() + body.size();
  // A bar is 60-120 bytes of JSON: one allocation for the page rather than a
  // dozen reallocations, each copying and faulting in a larger buffer.
  constexpr std::size_t kBarJsonBytes = 80;
  page.bars.reserve(page.bars.size() + body.size() / kBarJsonBytes);
  parse_response_envelope(parser_, body, kAggsEnvelope,
                          {page.status, page.request_id, page.next_url, page.drift, page.results_seen},
                          [&](simdjson::ondemand::value bar) { parse_bar(bar, window, page); });
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
    page.rejects.push_back({"bar is not a JSON object", std::string(excerpt(first_token))});
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
      note_drift(page.drift, name, DriftKind::unknown_field, raw);
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
        ok = !v.get_double().get(dv) && whole_int64(dv, iv);
      }
      (bit == kT ? bar.ts_ms : bar.transactions) = iv;
    }
    if (!ok) {
      std::string_view raw;
      raw = v.raw_json_token();
      std::string name = "results[].";
      name.append(k, std::find(k, k + 64, '"'));
      note_drift(page.drift, name, DriftKind::type_changed, raw);
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
    if (!(seen & kVW)) note_drift(page.drift, "results[].vw", DriftKind::missing_optional_field, "");
    if (!(seen & kN)) note_drift(page.drift, "results[].n", DriftKind::missing_optional_field, "");
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
