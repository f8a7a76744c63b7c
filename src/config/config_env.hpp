// SOI_* environment overrides, applied after the YAML files.
#pragma once

#include "config/config_origins.hpp"

namespace soi::config {

// Every setting can be overridden by SOI_<FILE STEM>_<KEY PATH> (upper case, dots ->
// underscores): SOI_SETTINGS_LATE_DATA_STREAMING_POLICY, SOI_RETRY_POLICY_MAX_ATTEMPTS.
// Lists are comma-separated (an empty value is an empty list). Values are validated
// like YAML values. A variable under a setting prefix (SOI_SETTINGS_, SOI_SOURCES_,
// SOI_SINKS_, SOI_RETRY_POLICY_, SOI_SIMULATOR_) that names no setting is refused,
// so a typo never silently does nothing.
void apply_environment(Config& config, Origins& origins);

}  // namespace soi::config
