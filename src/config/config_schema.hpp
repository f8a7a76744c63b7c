// The one table of every setting soi reads. Reading YAML, unknown-key detection,
// type checking, range/enum validation, SOI_* environment overrides, `config show`
// and docs/configuration.md are all driven from it, so adding a setting means
// adding a struct field (config.hpp), one schema row and one line in config/*.yaml.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.hpp"

namespace soi::config {

enum class ConfigFile { settings, sources, sinks, retry_policy, simulator };

inline constexpr ConfigFile kAllFiles[] = {ConfigFile::settings, ConfigFile::sources, ConfigFile::sinks,
                                           ConfigFile::retry_policy, ConfigFile::simulator};

std::string_view file_stem(ConfigFile file);  // "retry_policy"
std::string file_name(ConfigFile file);       // "retry_policy.yaml"
std::string env_prefix(ConfigFile file);      // "SOI_RETRY_POLICY_"

// Points at the struct field a setting lives in; its alternative is the setting's type.
using FieldRef = std::variant<std::string*, int*, unsigned*, double*, bool*, std::vector<int>*,
                              std::vector<std::string>*>;

// What values a setting accepts beyond its type. For lists it applies to each item.
enum class AllowedKind {
  any,         // any value of the type (booleans, free strings)
  non_empty,   // a string that is not empty
  range,       // integer or number in [min, max]
  one_of,      // one of choices (exact, case-sensitive)
  url,         // http:// or https:// followed by a host
  ws_url,      // empty, or ws:// or wss:// followed by a host
  clock_time,  // HH:MM, 00:00..23:59
  ticker,      // 1..10 of A-Z 0-9 . (upper case, as the API spells tickers)
};

struct Allowed {
  AllowedKind kind = AllowedKind::any;
  double min = 0;
  double max = 0;
  std::vector<std::string> choices;
};

struct SettingSpec {
  ConfigFile file;
  std::string key;          // dotted path inside the file: "late_data.streaming_policy"
  Allowed allowed;
  std::string description;  // one line, shown in docs and `config show`
  FieldRef (*field)(Config&);

  // SOI_<FILE STEM>_<KEY PATH>, upper-cased, dots -> underscores.
  std::string env_name() const;
  // "an integer from 1 to 20", "one of: reject, accept", "a list of integers from 400 to 599"...
  std::string expectation() const;
  bool is_list() const;
};

// Every setting, in file order then the order the YAML files list them.
const std::vector<SettingSpec>& schema();

// nullptr when the file has no such key.
const SettingSpec* find_setting(ConfigFile file, std::string_view key);

// True when `prefix` is a mapping level of the file ("late_data", "spy"), i.e. some
// setting's key starts with prefix + '.'.
bool is_section(ConfigFile file, std::string_view prefix);

// Keys directly below a section ("" = the top level): the names accepted there.
std::vector<std::string> keys_below(ConfigFile file, std::string_view section);

}  // namespace soi::config
