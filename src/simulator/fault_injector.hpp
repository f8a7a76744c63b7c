// Fault injection for the simulator, so clients can be tested against the
// failures the real service produces. A fault spec is `kind[:key=value]*`:
//   rate_limit[:retry_after=S]       429 ERROR body + Retry-After: S (default 1)
//   server_error[:status=500|502|503|504]  5xx ERROR body (default 503)
//   slow[:delay_ms=MS]               wait MS (default 2000), then answer normally
//   truncate                          headers announce the full body, half is sent, connection closed
//   malformed                         200 with a body that is not JSON
//   drop                              connection closed without any response
//   new_field                         "zz_sim_new_field": 1 in the envelope and every result object
//   bad_record                        one bar per aggregates page gets high below low; one news article a bad date
// Selection (all given keys must agree; none = every matching request):
//   first=N  the first N matching requests    every=N  every Nth matching request
//   prob=P   with probability P (seeded)      path=SUBSTR  only paths containing SUBSTR
// Without path=, faults apply to data endpoints (everything but /_sim/).
// WebSocket kinds (ws_*) never touch REST requests; they are decided once per
// authentication on a /stocks, /options or /indices connection (path= matches
// that path; first/every/prob count those authentications):
//   ws_refuse_auth                    auth_failed although the key is valid, then close
//   ws_max_connections                status max_connections, then close
//   ws_close[:mode=close|drop]        close the stream (close frame 1001, or a bare TCP drop)
//   ws_stall[:duration_ms=MS]         send nothing for MS wall milliseconds (default 5000)
//   ws_malformed                      one frame that is not JSON
//   ws_unknown_event                  one frame with an event of unknown type ("ev":"ZZ")
//   ws_late[:lag_s=S]                 re-send the subscribed bars of the second S earlier (default 960)
// Stream kinds (close, stall, malformed, unknown_event, late) fire at simulated
// times: at=HH:MM[:SS] (New York, once per day) and/or every_s=N (every N
// simulated seconds after the session open); neither = every_s=60.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace soi::sim {

enum class FaultKind {
  rate_limit,
  server_error,
  slow,
  truncate,
  malformed,
  drop,
  new_field,
  bad_record,
  ws_refuse_auth,
  ws_max_connections,
  ws_close,
  ws_stall,
  ws_malformed,
  ws_unknown_event,
  ws_late,
};
inline constexpr std::size_t kFaultKindCount = 15;

std::string_view to_string(FaultKind kind);

// True for the WebSocket kinds (ws_*), which REST requests never see.
inline bool is_ws_fault(FaultKind kind) { return kind >= FaultKind::ws_refuse_auth; }
// WebSocket kinds that fire at simulated times of the stream (at= / every_s=).
inline bool is_ws_stream_fault(FaultKind kind) { return kind >= FaultKind::ws_close; }

struct FaultSpec {
  FaultKind kind = FaultKind::rate_limit;
  int retry_after_s = 1;
  int status = 503;
  int delay_ms = 2000;
  std::optional<std::uint64_t> first;
  std::optional<std::uint64_t> every;
  std::optional<double> prob;
  std::string path;  // substring; empty = all data endpoints
  std::string text;  // the spec as written (for messages)
  // WebSocket stream kinds.
  std::optional<int> at_s;    // at=HH:MM[:SS]: seconds after New York midnight
  std::optional<int> every_s; // every_s=N: every N simulated seconds after the session open
  bool drop_connection = false;  // ws_close mode=drop
  int duration_ms = 5000;        // ws_stall
  int lag_s = 960;               // ws_late
};

// Throws SoiError(config) with a message naming the spec and what is allowed.
FaultSpec parse_fault_spec(std::string_view text);

// What to do with one request. Several faults may fire together; the server
// applies them in a fixed precedence (drop > rate_limit > server_error >
// malformed > normal answer), with slow/truncate/new_field/bad_record layered on.
struct FaultPlan {
  bool drop = false;
  bool truncate = false;
  bool malformed = false;
  bool new_field = false;
  bool bad_record = false;
  int delay_ms = 0;
  int error_status = 0;  // 429 or 5xx when a status fault fired
  int retry_after_s = 0;

  bool any() const {
    return drop || truncate || malformed || new_field || bad_record || delay_ms > 0 || error_status != 0;
  }
};

class FaultInjector {
 public:
  FaultInjector(std::vector<FaultSpec> specs, std::uint64_t seed);

  // Counts the request against every spec whose path matches and returns the
  // faults that fire. Thread-safe.
  FaultPlan decide(std::string_view path);

  // The WebSocket faults (ws_*) that fire for one authentication on `path`
  // ("/stocks"), counting it against every ws spec whose path matches. Thread-safe.
  std::vector<FaultSpec> decide_ws(std::string_view path);

  // Faults actually served, per kind (the router records them). Thread-safe.
  void record(FaultKind kind) { served_[static_cast<std::size_t>(kind)].fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t served(FaultKind kind) const {
    return served_[static_cast<std::size_t>(kind)].load(std::memory_order_relaxed);
  }

  const std::vector<FaultSpec>& specs() const { return specs_; }

 private:
  bool fires(std::size_t index, std::uint64_t match) const;

  std::vector<FaultSpec> specs_;
  std::uint64_t seed_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> matches_;  // per spec
  std::array<std::atomic<std::uint64_t>, kFaultKindCount> served_{};
};

}  // namespace soi::sim
