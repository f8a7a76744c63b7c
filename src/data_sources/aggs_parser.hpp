// Parses an aggregates answer (/v2/aggs/...) with simdjson On-Demand straight
// into Bar records, validating each bar on the way. One parser instance is
// reused for every page (simdjson's buffers stay allocated).
//
// Bad records are not dropped: they come back as rejects with the raw JSON and
// the reason, for the quarantine. Fields the contract does not name, missing
// optional fields and changed types come back as drift observations (distinct
// per page), for the schema-drift registry.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "data_sources/response_envelope.hpp"  // FieldDrift, json_object_at
#include "processing/bar_validator.hpp"
#include "processing/records.hpp"

namespace soi {

enum class AggsShape {
  equity,  // stocks and options: o,h,l,c,t,v required; vw, n expected
  index,   // indices: o,h,l,c,t only
};

struct BarReject {
  std::string reason;
  std::string raw_json;
};

struct AggsPage {
  std::string status;      // OK | DELAYED
  std::string request_id;
  std::string next_url;    // "" on the last page
  std::vector<Bar> bars;   // valid bars, in wire order
  std::vector<BarReject> rejects;
  std::vector<FieldDrift> drift;
  std::uint64_t results_seen = 0;

  void clear();
};

class AggsParser {
 public:
  explicit AggsParser(AggsShape shape) : shape_(shape) {}

  // `body` must be followed by simdjson::SIMDJSON_PADDING readable bytes
  // (RestClient reserves them). Appends to `page`. Throws SoiError(parse) when
  // the body is not a JSON aggregates envelope, SoiError(server) when the
  // envelope's status is not OK/DELAYED.
  void parse(std::string_view body, const BarWindow& window, AggsPage& page);

 private:
  // One element of `results`: a valid bar, a reject or drift.
  void parse_bar(simdjson::ondemand::value value, const BarWindow& window, AggsPage& page);

  AggsShape shape_;
  const char* body_end_ = nullptr;
  simdjson::ondemand::parser parser_;
};

}  // namespace soi
