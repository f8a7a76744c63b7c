#include "cli/stream_runner.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <mutex>
#include <thread>

#include "monitoring/logging.hpp"

namespace soi::cli {
namespace {

// Short enough that a stop request (or a fast simulated clock) is noticed promptly.
constexpr std::int64_t kWaitStepMs = 200;

}  // namespace

void sleep_unless_stopped(const StreamControl& control, std::int64_t ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!control.stop.load()) {
    const auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(kWaitStepMs)));
  }
}

SessionWait wait_for_session(const SessionSchedule& schedule, StreamClock& clock, const StreamControl& control,
                             int connect_before_open_seconds, bool once) {
  const std::int64_t lead_ms = std::int64_t{connect_before_open_seconds} * 1000;
  bool explained = false;
  while (!control.stop.load()) {
    const std::int64_t now = clock.now_ms();
    const ScheduleStatus st = schedule.status(now);
    // For every state but `open`, st.session is the next session.
    if (st.state == MarketState::open || now >= st.session.open_ms - lead_ms) return SessionWait{st.session, false};
    if (!explained) {
      const std::string why = schedule.describe(now);
      std::cerr << why << "\n";
      exec_log().info("stream: {} (clock {})", why, clock.describe());
      explained = true;
    }
    if (once) return SessionWait{};
    // The clock may be simulated (any speed): never sleep past a wall step, re-read it.
    sleep_unless_stopped(control, std::min(kWaitStepMs, st.session.open_ms - lead_ms - now));
  }
  return SessionWait{std::nullopt, true};
}

StreamSessionSummary stream_session(RunContext& run, SinkSet& sinks, StreamClock& clock, const SessionWindow& session,
                                    StreamControl& control) {
  const Config& config = run.config;
  const std::string base_url = config.sources.rest_base_url;
  // The session may ask for worker clients from several threads; the run's
  // client list is not synchronised.
  auto workers_mutex = std::make_shared<std::mutex>();
  StreamServices services{
      BackfillServices{config, client_for(run, base_url), run.calendar, sinks, *run.manifest, *run.quarantine,
                       *run.drift, run.errors, run.run},
      run.feeds,
      [&run, workers_mutex](const std::string& url) -> RestClient& {
        std::lock_guard lock(*workers_mutex);
        return new_worker_client(run, url);
      },
      run.api_key,
      config.settings.data_dir,
      *run.store,
      run.log_dir,
      clock};
  exec_log().info("stream: session {} ({} to {}), clock {}", format_date(session.date),
                  format_ny_rfc3339(session.open_ms), format_ny_rfc3339(session.close_ms), clock.describe());
  // A re-centre asked for between sessions means nothing to this one: it centres at the open anyway.
  control.recenter.store(false);
  StreamSession stream(std::move(services), session, control);
  return stream.run();
}

}  // namespace soi::cli
