// Envelopes and error bodies exactly as the real service words them.
#pragma once

#include <string>
#include <string_view>

#include "simulator/endpoint_context.hpp"
#include "simulator/json_writer.hpp"

namespace soi::sim {

inline constexpr std::string_view kNewFieldName = "zz_sim_new_field";

// 32 random-looking lowercase hex characters.
std::string new_request_id();

// {"status":"ERROR","request_id":"...","error":"<message>"} with the given HTTP status.
SimResponse error_response(int http_status, const std::string& request_id, std::string_view message);
// 404 {"status":"NOT_FOUND","request_id":"...","message":"<message>"}.
SimResponse not_found_response(const std::string& request_id, std::string_view message = "Data not found.");
// 200 with a JSON body.
SimResponse json_response(std::string body);

// Writes "zz_sim_new_field": 1 into the open object when the new_field fault fired.
inline void write_new_field(JsonWriter& w, const RequestScope& scope) {
  if (scope.new_field) w.field(kNewFieldName, 1);
}

}  // namespace soi::sim
