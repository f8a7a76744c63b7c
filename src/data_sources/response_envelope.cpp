#include "data_sources/response_envelope.hpp"

#include "utils/error.hpp"

namespace soi {

void note_drift(std::vector<FieldDrift>& drift, std::string_view field, DriftKind kind, std::string_view example) {
  if (drift.size() >= kMaxDriftPerPage) return;
  field = excerpt(field);
  for (const auto& d : drift)
    if (d.kind == kind && d.field == field) return;
  drift.push_back({std::string(field), kind, std::string(excerpt(example))});
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

namespace envelope_detail {
namespace {

bool is_null(simdjson::ondemand::value value) {
  simdjson::ondemand::json_type type;
  return !value.type().get(type) && type == simdjson::ondemand::json_type::null;
}

}  // namespace

void fail(const EnvelopeSpec& spec, std::string_view what, simdjson::error_code code, std::string_view body) {
  throw SoiError(ErrorCategory::parse, std::string(spec.name) + " " + std::string(what) + ": " +
                                           simdjson::error_message(code) + " (body starts: " +
                                           std::string(excerpt(body)) + ")");
}

void open(simdjson::ondemand::parser& parser, std::string_view body, const EnvelopeSpec& spec,
          simdjson::ondemand::document& doc, simdjson::ondemand::object& envelope) {
  // simdjson sizes its buffers to the document exactly, so a page a few bytes
  // longer than the last would take fresh ones; a quarter more is kept instead.
  if (parser.capacity() < body.size()) {
    const std::size_t headroom = body.size() + body.size() / 4;
    if (auto err = parser.allocate(std::min(headroom, parser.max_capacity()))) fail(spec, "cannot size the parser", err, body);
  }
  if (auto err = parser.iterate(body.data(), body.size(), body.size() + simdjson::SIMDJSON_PADDING).get(doc))
    fail(spec, "body is not JSON", err, body);
  if (auto err = doc.get_object().get(envelope)) fail(spec, "body is not a JSON object", err, body);
}

bool open_results(simdjson::ondemand::value value, const EnvelopeSpec& spec, EnvelopeFields& out,
                  simdjson::ondemand::array& results) {
  if (spec.null_is_absent && is_null(value)) return false;  // an empty answer may carry null
  if (value.get_array().get(results)) {
    note_drift(out.drift, "envelope.results", DriftKind::type_changed, "not an array");
    return false;
  }
  return true;
}

void read_field(std::string_view key, simdjson::ondemand::value value, const EnvelopeSpec& spec, EnvelopeFields& out,
                std::string_view body) {
  std::string_view text;
  if (key == "status") {
    if (value.get_string().get(text)) fail(spec, "status", simdjson::INCORRECT_TYPE, body);
    out.status = text;
  } else if (key == "next_url") {
    if (spec.null_is_absent && is_null(value)) return;
    if (value.get_string().get(text)) fail(spec, "next_url", simdjson::INCORRECT_TYPE, body);
    out.next_url = text;
  } else if (key == "request_id") {
    if (!value.get_string().get(text)) out.request_id = text;
  } else if (key == "count" || key == "error" || key == "message") {
    // count: not stored; error/message: on error answers, which fail the status check.
  } else if (std::find(spec.ignored_keys.begin(), spec.ignored_keys.end(), key) != spec.ignored_keys.end()) {
    // Known to the endpoint's contract, not stored.
  } else {
    note_drift(out.drift, "envelope." + std::string(key), DriftKind::unknown_field, value.raw_json_token());
  }
}

void check_status(const EnvelopeSpec& spec, const std::string& status, std::string_view body) {
  if (status == "OK" || status == "DELAYED") return;
  throw SoiError(ErrorCategory::server, std::string(spec.name) + " answer has status \"" + status +
                                            "\" (expected OK or DELAYED): " + std::string(excerpt(body)));
}

}  // namespace envelope_detail
}  // namespace soi
