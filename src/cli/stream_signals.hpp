// Signals of a streaming process: SIGINT/SIGTERM ask it to stop (commit the day
// and exit; `soi stop` sends SIGTERM), SIGUSR1 to re-centre the options
// universe (`soi recenter`). The handlers only store into StreamControl's
// atomics (async-signal-safe); the session polls them.
#pragma once

#include <signal.h>

#include "orchestrator/stream_session.hpp"

namespace soi::cli {

// Installs the handlers for `control` for its lifetime and restores the
// previous dispositions on destruction. One at a time per process.
class StreamSignalGuard {
 public:
  explicit StreamSignalGuard(StreamControl& control);
  ~StreamSignalGuard();
  StreamSignalGuard(const StreamSignalGuard&) = delete;
  StreamSignalGuard& operator=(const StreamSignalGuard&) = delete;

 private:
  struct sigaction old_int_{}, old_term_{}, old_usr1_{};
};

}  // namespace soi::cli
