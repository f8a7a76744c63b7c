// YAML config loader with SOI_* overrides. Input layout:
//   byte 0          which file the YAML is (settings, sources, sinks, retry_policy, simulator)
//   bytes 1..NUL    the file's text
//   after the NUL   optional NAME=VALUE, set in the environment for this load; a
//                   NAME not starting with SOI_ gets the chosen file's prefix
// load_config gives a Config or a config SoiError; nothing else.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/config.hpp"
#include "config/config_schema.hpp"
#include "fuzz_support.hpp"
#include "utils/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const soi::fuzz::ScratchDir scratch("config");
  if (size == 0) return 0;
  using soi::config::kAllFiles;
  const soi::config::ConfigFile file = kAllFiles[data[0] % std::size(kAllFiles)];
  std::string_view rest = soi::fuzz::as_text(data + 1, size - 1);
  const std::size_t nul = rest.find('\0');
  const std::string_view yaml = rest.substr(0, nul);
  std::string env_name, env_value;
  if (nul != std::string_view::npos) {
    std::string_view env = rest.substr(nul + 1);
    env = env.substr(0, env.find('\0'));
    const std::size_t eq = env.find('=');
    if (eq != std::string_view::npos && eq > 0) {
      env_name = std::string(env.substr(0, eq));
      if (!env_name.starts_with("SOI_")) env_name = soi::config::env_prefix(file) + env_name;
      env_value = std::string(env.substr(eq + 1));
    }
  }
  scratch.clear();
  soi::fuzz::write_file(scratch.path() / soi::config::file_name(file), yaml);
  if (!env_name.empty()) ::setenv(env_name.c_str(), env_value.c_str(), 1);
  try {
    soi::load_config(scratch.path().string());
  } catch (const soi::SoiError& e) {
    soi::fuzz::check(e.category() == soi::ErrorCategory::config, "config: error is not a config error");
  }
  if (!env_name.empty()) ::unsetenv(env_name.c_str());
  return 0;
}
