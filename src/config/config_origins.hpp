// Shared by the loader's stages (YAML files, environment, cross-setting rules):
// where each effective value came from, so every message can name the file and
// key or the environment variable the user has to fix.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "config/config_schema.hpp"

namespace soi::config {

// Every configuration problem leaves through here: one category, one message.
[[noreturn]] void fail(std::string message);

class Origins {
 public:
  explicit Origins(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // "config/retry_policy.yaml", as the user would type it.
  std::string file_path(ConfigFile file) const;

  void set_from_file(const SettingSpec& spec) { origin_[&spec] = Origin::file; }
  void set_from_env(const SettingSpec& spec) { origin_[&spec] = Origin::env; }
  bool is_default(const SettingSpec& spec) const { return !origin_.contains(&spec); }
  bool is_env(const SettingSpec& spec) const;

  // Message prefix naming the setting where its value came from:
  // "config/retry_policy.yaml: max_backoff_ms", "environment variable SOI_RETRY_POLICY_MAX_BACKOFF_MS",
  // or "config/retry_policy.yaml: max_backoff_ms (default)".
  std::string where(const SettingSpec& spec) const;

 private:
  enum class Origin { file, env };
  std::filesystem::path dir_;
  std::map<const SettingSpec*, Origin> origin_;
};

}  // namespace soi::config
