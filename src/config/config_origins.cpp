#include "config/config_origins.hpp"

#include "utils/error.hpp"

namespace soi::config {

void fail(std::string message) { throw SoiError(ErrorCategory::config, std::move(message)); }

std::string Origins::file_path(ConfigFile file) const { return (dir_ / file_name(file)).string(); }

bool Origins::is_env(const SettingSpec& spec) const {
  auto it = origin_.find(&spec);
  return it != origin_.end() && it->second == Origin::env;
}

std::string Origins::where(const SettingSpec& spec) const {
  auto it = origin_.find(&spec);
  if (it != origin_.end() && it->second == Origin::env) return "environment variable " + spec.env_name();
  std::string out = file_path(spec.file) + ": " + spec.key;
  if (it == origin_.end()) out += " (default)";
  return out;
}

}  // namespace soi::config
