#include "orchestrator/stream_clock.hpp"

#include <algorithm>

#include <simdjson.h>

#include "config/config.hpp"
#include "data_sources/rest_client.hpp"
#include "monitoring/logging.hpp"
#include "utils/error.hpp"
#include "utils/time_util.hpp"

namespace soi {
namespace {

const ErrorContext kClockContext{"clock", "", "", ""};

}  // namespace

std::int64_t SystemStreamClock::now_ms() {
  // The host clock can be stepped back (NTP); the stream must never see time run backwards.
  const std::int64_t t = now_utc_ms();
  std::int64_t last = last_ms_.load(std::memory_order_relaxed);
  while (t > last && !last_ms_.compare_exchange_weak(last, t, std::memory_order_relaxed)) {
  }
  return std::max(t, last);
}

ServerStreamClock::ServerStreamClock(RestClient& client, std::chrono::milliseconds refresh)
    : client_(client), refresh_(refresh) {}

std::int64_t ServerStreamClock::now_ms() {
  std::lock_guard lock(mutex_);
  const auto wall = std::chrono::steady_clock::now();
  if (!attempted_ || wall - last_fetch_ >= refresh_) {
    attempted_ = true;
    last_fetch_ = wall;
    try {
      const HttpResponse r = client_.get("/v1/marketstatus/now", kClockContext);
      const std::int64_t t = parse_server_time(r.body);
      // The first answer is taken as is (it may lie behind the host clock used
      // until then: a simulated day); from then on the server time only advances.
      last_ms_ = fetched_ ? std::max(last_ms_, t) : t;
      fetched_ = true;
      if (failing_) exec_log().info("clock: {} answers again ({})", client_.base_url(), format_utc_iso_ms(last_ms_));
      failing_ = false;
    } catch (const SoiError& e) {
      // One line per failure streak: a server down for an hour must not flood the log.
      if (!failing_)
        exec_log().warn("clock: server time unavailable ({}); keeping {}", e.what(),
                        fetched_ ? "the last server time" : "the host clock until it answers");
      failing_ = true;
    }
  }
  return fetched_ ? last_ms_ : host_.now_ms();
}

std::string ServerStreamClock::describe() const { return "server " + client_.base_url(); }

std::unique_ptr<StreamClock> make_stream_clock(const Config& config, RestClient& client) {
  const std::string& kind = config.settings.stream.clock;
  if (kind == "server") return std::make_unique<ServerStreamClock>(client);
  if (kind == "system") return std::make_unique<SystemStreamClock>();
  throw SoiError(ErrorCategory::config, "settings stream.clock: expected system or server, got '" + kind + "'");
}

}  // namespace soi
