// Transport-neutral request/response types: the router and endpoints never see
// Beast, so they can be unit-tested directly and reused behind a WebSocket port.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "simulator/query_params.hpp"

namespace soi::sim {

struct SimRequest {
  std::string method = "GET";
  std::string path;           // raw (still percent-encoded) path
  QueryParams params;         // decoded query
  std::string host;           // Host header, used to build next_url
  std::string authorization;  // Authorization header
};

struct SimResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string request_id;
  // Transport faults carried out by the server.
  bool drop = false;       // close without answering
  bool truncate = false;   // send half the body, then close
  int delay_ms = 0;        // wait before answering
  bool bad_record_applied = false;  // an endpoint corrupted one bar (for the fault counters)
};

}  // namespace soi::sim
