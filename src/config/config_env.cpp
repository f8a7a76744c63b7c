#include "config/config_env.hpp"

#include <unistd.h>  // environ (glibc declares it; g++ always defines _GNU_SOURCE)

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "config/config_names.hpp"
#include "config/config_value.hpp"

namespace soi::config {
namespace {

using Variable = std::pair<std::string, std::string>;

std::vector<Variable> setting_variables() {
  std::vector<Variable> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const size_t eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string name(text.substr(0, eq));
    for (ConfigFile file : kAllFiles) {
      if (name.starts_with(env_prefix(file))) {
        out.emplace_back(name, std::string(text.substr(eq + 1)));
        break;
      }
    }
  }
  // Sorted, so that with several bad variables the same one is always reported.
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> split_list(const std::string& value) {
  std::vector<std::string> items;
  if (value.find_first_not_of(" \t") == std::string::npos) return items;  // "" -> empty list
  size_t start = 0;
  while (true) {
    const size_t comma = value.find(',', start);
    items.push_back(value.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return items;
}

[[noreturn]] void fail_unknown(const std::string& name) {
  ConfigFile file = ConfigFile::settings;
  for (ConfigFile f : kAllFiles)
    if (name.starts_with(env_prefix(f))) file = f;
  const std::string rest = name.substr(env_prefix(file).size());
  if (looks_like_secret(rest))
    fail(fmt::format("environment variable {}: secrets are not read from SOI_ setting variables; set "
                     "MASSIVE_API_KEY (or POLYGON_API_KEY) in the environment or in a git-ignored .env file",
                     name));
  std::vector<std::string> names;
  for (const auto& spec : schema()) names.push_back(spec.env_name());
  if (auto near = closest_name(name, names))
    fail(fmt::format("environment variable {} names no setting (did you mean {}?)", name, *near));
  std::string same_file;
  for (const auto& spec : schema())
    if (spec.file == file) same_file += (same_file.empty() ? "" : ", ") + spec.env_name();
  fail(fmt::format("environment variable {} names no setting ({} settings are {})", name, file_name(file),
                   same_file));
}

}  // namespace

void apply_environment(Config& config, Origins& origins) {
  for (const auto& variable : setting_variables()) {
    // Named references, not a structured binding: clang 14 (the fuzz preset) cannot capture one.
    const auto& name = variable.first;
    const auto& value = variable.second;
    const auto& table = schema();
    auto it = std::find_if(table.begin(), table.end(), [&](const SettingSpec& s) { return s.env_name() == name; });
    if (it == table.end()) fail_unknown(name);
    const SettingSpec& spec = *it;
    const auto problem = spec.is_list() ? assign_list(spec, config, split_list(value))
                                        : assign_scalar(spec, config, value);
    if (problem) fail(fmt::format("environment variable {}: {}", name, *problem));
    origins.set_from_env(spec);
  }
}

}  // namespace soi::config
