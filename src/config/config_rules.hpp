// Rules between settings, checked once all files and overrides are applied.
#pragma once

#include "config/config_origins.hpp"

namespace soi::config {

// session_start < session_end, initial_backoff_ms <= max_backoff_ms,
// connect_timeout_seconds <= request_timeout_seconds and
// stream.heartbeat_interval_seconds < stream.stale_heartbeat_seconds. The message
// blames the setting the user changed (file or environment), not the one left at default.
void check_consistency(const Config& config, const Origins& origins);

}  // namespace soi::config
