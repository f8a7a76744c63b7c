// The envelope every paged REST answer shares: a top-level object with
// status, next_url, request_id, count and `results`. parse_response_envelope
// walks that object once with simdjson On-Demand, stores the envelope fields
// into the caller's page, records drift of the envelope (unknown keys, a
// `results` that is not an array) and hands each element of `results` to a
// per-result callback, in wire order. The aggregates, options contracts and
// news parsers are such callbacks.
//
// The callback is a template parameter, not a std::function: it runs once per
// record on the backfill's hot path and inlines into the loop.
//
// Errors: SoiError(parse) when the body is not a JSON object or a field cannot
// be read, SoiError(server) when the status is not OK or DELAYED (checked
// after the whole object was walked, so the page's fields are filled).
// Whatever the callback throws propagates unchanged.
//
// Not thread-safe: the simdjson parser passed in belongs to one caller; one
// parser may serve any number of pages in turn.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "processing/schema_drift.hpp"  // DriftKind

namespace soi {

// One drift observation of a page: "results[].zz" or "envelope.foo".
struct FieldDrift {
  std::string field;
  DriftKind kind;
  std::string example;
};

// Examples and messages quote at most this much of the wire text.
inline constexpr std::size_t kExcerptLimit = 120;
inline std::string_view excerpt(std::string_view text) { return text.substr(0, std::min(text.size(), kExcerptLimit)); }

// Distinct drift observations kept per page (or WebSocket frame): a hostile page of
// a million different unknown keys must cost neither memory nor a quadratic scan.
// A real contract change shows up in the first few.
inline constexpr std::size_t kMaxDriftPerPage = 32;

// Appends the observation unless the page already has one of this field and
// kind (drift is reported once per page) or already holds kMaxDriftPerPage;
// the field name and the example are cut to an excerpt.
void note_drift(std::vector<FieldDrift>& drift, std::string_view field, DriftKind kind, std::string_view example);

// The text of one JSON object starting at `start` (balanced braces, string-aware).
std::string_view json_object_at(const char* start, const char* limit);

// How one endpoint's envelope looks.
struct EnvelopeSpec {
  std::string_view name;  // "aggregates": begins every error message
  // Envelope keys the contract names and we do not store, besides count, error
  // and message (which every endpoint may send).
  std::span<const std::string_view> ignored_keys = {};
  // JSON null in `results` or `next_url` means absent; otherwise a null
  // `results` is drift and a null `next_url` a parse error.
  bool null_is_absent = false;
};

// Where the envelope goes: the members of the caller's page.
struct EnvelopeFields {
  std::string& status;
  std::string& request_id;
  std::string& next_url;  // left as it was when the answer has none
  std::vector<FieldDrift>& drift;
  std::uint64_t& results_seen;  // every element of `results`, valid or not
};

namespace envelope_detail {

[[noreturn]] void fail(const EnvelopeSpec& spec, std::string_view what, simdjson::error_code code,
                       std::string_view body);
void open(simdjson::ondemand::parser& parser, std::string_view body, const EnvelopeSpec& spec,
          simdjson::ondemand::document& doc, simdjson::ondemand::object& envelope);
// False when `results` holds nothing to walk (null where allowed, or drift).
bool open_results(simdjson::ondemand::value value, const EnvelopeSpec& spec, EnvelopeFields& out,
                  simdjson::ondemand::array& results);
// Any envelope key but `results`.
void read_field(std::string_view key, simdjson::ondemand::value value, const EnvelopeSpec& spec,
                EnvelopeFields& out, std::string_view body);
void check_status(const EnvelopeSpec& spec, const std::string& status, std::string_view body);

}  // namespace envelope_detail

// `body` must be followed by simdjson::SIMDJSON_PADDING readable bytes
// (RestClient reserves them). `on_result(simdjson::ondemand::value)` is called
// for each element of `results`; the value views `body`.
template <typename OnResult>
void parse_response_envelope(simdjson::ondemand::parser& parser, std::string_view body, const EnvelopeSpec& spec,
                             EnvelopeFields out, OnResult&& on_result) {
  simdjson::ondemand::document doc;
  simdjson::ondemand::object envelope;
  envelope_detail::open(parser, body, spec, doc, envelope);
  for (auto field : envelope) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) envelope_detail::fail(spec, "envelope", err, body);
    simdjson::ondemand::value value;
    if (auto err = field.value().get(value)) envelope_detail::fail(spec, "envelope", err, body);
    if (key != "results") {
      envelope_detail::read_field(key, value, spec, out, body);
      continue;
    }
    simdjson::ondemand::array results;
    if (!envelope_detail::open_results(value, spec, out, results)) continue;
    for (auto element : results) {
      simdjson::ondemand::value result;
      if (auto err = element.get(result)) envelope_detail::fail(spec, "results", err, body);
      ++out.results_seen;
      on_result(result);
    }
  }
  envelope_detail::check_status(spec, out.status, body);
}

}  // namespace soi
