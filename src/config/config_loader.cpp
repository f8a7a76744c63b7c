// load_config: defaults (config.hpp) -> config/*.yaml -> SOI_* environment -> rules.
#include <filesystem>

#include "config/config.hpp"
#include "config/config_env.hpp"
#include "config/config_origins.hpp"
#include "config/config_rules.hpp"
#include "config/config_yaml.hpp"

namespace soi {

Config load_config(const std::string& dir) {
  namespace fs = std::filesystem;
  if (dir.empty()) config::fail("config directory: no path given");
  std::error_code ec;
  // A missing file means defaults, but a missing directory is almost always a wrong
  // --config path or working directory; running on silent defaults would hide it.
  if (!fs::exists(dir, ec))
    config::fail("config directory '" + dir + "' does not exist (pass the directory holding settings.yaml, "
                 "sources.yaml, ... or create it)");
  if (!fs::is_directory(dir, ec)) config::fail("config directory '" + dir + "' is not a directory");

  Config config;
  config.config_dir = dir;
  config::Origins origins{fs::path(dir)};
  for (config::ConfigFile file : config::kAllFiles) config::read_yaml_file(file, config, origins);
  config::apply_environment(config, origins);
  config::check_consistency(config, origins);
  return config;
}

}  // namespace soi
