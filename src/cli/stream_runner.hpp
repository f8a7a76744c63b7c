// The steps `soi stream` and `soi run` share: wait (on the stream clock) until
// a session is due, and stream one session with the run's services.
#pragma once

#include <optional>

#include "cli/run_setup.hpp"
#include "orchestrator/session_schedule.hpp"
#include "orchestrator/stream_clock.hpp"
#include "orchestrator/stream_session.hpp"
#include "sinks/sink_set.hpp"

namespace soi::cli {

struct SessionWait {
  std::optional<SessionWindow> session;  // the session to stream now; nullopt: stopped, or (once) none due
  bool stopped = false;                  // control.stop ended the wait
};

// A session is due when the market is open, or opens within
// connect_before_open_seconds. Otherwise the schedule's one-line explanation
// ("market closed (weekend); next session opens ...") goes to stderr; with
// `once` the wait ends there, else it sleeps in short wall-clock steps,
// re-reading the clock (a simulated server clock may run fast), until the
// session is due or control.stop is set.
SessionWait wait_for_session(const SessionSchedule& schedule, StreamClock& clock, const StreamControl& control,
                             int connect_before_open_seconds, bool once);

// Streams `session` with the run's REST clients, sinks and logs (StreamSession::run()).
StreamSessionSummary stream_session(RunContext& run, SinkSet& sinks, StreamClock& clock, const SessionWindow& session,
                                    StreamControl& control);

// Sleeps up to `ms` of wall time, returning early once control.stop is set.
void sleep_unless_stopped(const StreamControl& control, std::int64_t ms);

}  // namespace soi::cli
