// Turns raw setting text into typed, validated struct fields, and back into text.
// YAML scalars and SOI_* environment values go through the same functions, so a
// value is accepted or refused identically wherever it comes from.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_schema.hpp"

namespace soi::config {

// Parses `text` as the setting's (scalar) type, checks what the schema allows and
// stores it in `config`. Returns nullopt on success, otherwise the problem, e.g.
// `expected an integer from 1 to 20, got "three"`; `config` is then unchanged.
std::optional<std::string> assign_scalar(const SettingSpec& spec, Config& config, std::string_view text);

// Same for list settings, one entry per item.
std::optional<std::string> assign_list(const SettingSpec& spec, Config& config,
                                       const std::vector<std::string>& items);

// The value as `config show` prints it: strings quoted, lists as [a, b].
std::string format_value(const SettingSpec& spec, const Config& config);

// `"text"`, shortened to a readable length, for "got ..." in messages.
std::string quote_for_message(std::string_view text);

}  // namespace soi::config
