// Reads one config/*.yaml file into the typed Config, driven by the schema.
#pragma once

#include "config/config_origins.hpp"

namespace soi::config {

// A missing file leaves every setting of that file at its default. Refuses, with
// one message naming the file and key: YAML syntax errors (line/column), keys
// that look like secrets (before anything else, and without the value), unknown
// keys (with a "did you mean"), duplicate keys, wrong shapes and invalid values.
void read_yaml_file(ConfigFile file, Config& config, Origins& origins);

}  // namespace soi::config
