#include "config/config_dump.hpp"

#include <fmt/format.h>

#include "config/config.hpp"
#include "config/config_schema.hpp"
#include "config/config_value.hpp"
#include "utils/redact.hpp"

namespace soi {

std::string dump_config(const Config& config) {
  std::string out;
  for (const auto& spec : config::schema())
    out += fmt::format("{}: {} = {}\n", config::file_name(spec.file), spec.key, config::format_value(spec, config));
  // Settings never hold secrets, but a URL could carry ?apiKey=...; this output is
  // meant to be pasted into issues.
  return redact(out);
}

}  // namespace soi

namespace soi::config {
namespace {

std::string cell(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string reference_markdown() {
  const Config defaults;
  std::string out;
  for (ConfigFile file : kAllFiles) {
    out += fmt::format("### {}\n\n", file_name(file));
    out += "| Key | Environment variable | Default | Allowed | Description |\n";
    out += "|---|---|---|---|---|\n";
    for (const auto& spec : schema()) {
      if (spec.file != file) continue;
      out += fmt::format("| `{}` | `{}` | `{}` | {} | {} |\n", spec.key, spec.env_name(),
                         cell(format_value(spec, defaults)), cell(spec.expectation()), cell(spec.description));
    }
    out += "\n";
  }
  return out;
}

}  // namespace soi::config
