// Parses one page of /v3/reference/options/contracts with simdjson On-Demand
// into OptionContract records, and the flat /v1/open-close answer.
//
// Like the aggregates parser: records that break the contract come back as
// rejects with their raw JSON and the reason (for the quarantine); unknown
// fields, missing optional fields and changed types come back as drift
// observations (distinct per page). Contracts of type "other" are skipped
// (counted), they are not rejects.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "data_sources/aggs_parser.hpp"  // FieldDrift, BarReject
#include "processing/records.hpp"

namespace soi {

struct ContractsPage {
  std::string status;      // OK | DELAYED
  std::string request_id;
  std::string next_url;    // "" on the last page
  std::vector<OptionContract> contracts;  // valid call/put contracts, wire order
  std::vector<BarReject> rejects;
  std::vector<FieldDrift> drift;
  std::uint64_t results_seen = 0;
  std::uint64_t skipped_other = 0;  // contract_type "other"

  void clear();
};

class ContractsParser {
 public:
  // `body` must be followed by simdjson::SIMDJSON_PADDING readable bytes
  // (RestClient reserves them). Appends to `page`. Throws SoiError(parse) when
  // the body is not a JSON object, SoiError(server) when its status is not OK/DELAYED.
  void parse(std::string_view body, ContractsPage& page);

 private:
  // One element of `results`: a valid contract, a skipped "other", a reject or drift.
  void parse_contract(simdjson::ondemand::value value, ContractsPage& page);

  const char* body_end_ = nullptr;
  simdjson::ondemand::parser parser_;
};

// The `open` of a /v1/open-close answer; nullopt when the answer is not OK/DELAYED
// or carries no positive finite `open`. Never throws.
std::optional<double> parse_open_close_open(std::string_view body);

}  // namespace soi
