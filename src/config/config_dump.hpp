// Text views of the schema for people: the settings reference in
// docs/configuration.md is generated here (and a unit test keeps the doc in sync).
#pragma once

#include <string>

namespace soi::config {

// Markdown: one "### <file>" heading and table (key, environment variable,
// default, allowed values, description) per config file.
std::string reference_markdown();

}  // namespace soi::config
