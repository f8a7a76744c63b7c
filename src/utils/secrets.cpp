#include "utils/secrets.hpp"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "utils/error.hpp"
#include "utils/redact.hpp"

namespace soi {
namespace {

using DotEnv = std::map<std::string, std::string, std::less<>>;

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

bool valid_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

// Messages name the file and line only: the line may hold a secret.
[[noreturn]] void fail_line(const std::string& path, size_t line, std::string_view problem) {
  throw SoiError(ErrorCategory::config, fmt::format("{}: line {}: {}", path, line, problem));
}

// The value part of KEY=VALUE: 'single' is literal, "double" knows \" \\ \n, unquoted
// ends at " #" (a comment) and is trimmed.
std::string parse_value(std::string_view raw, const std::string& path, size_t line) {
  std::string_view text = trim(raw);
  if (text.empty()) return {};
  const char quote = text.front();
  if (quote != '"' && quote != '\'') {
    for (size_t i = 1; i < text.size(); ++i)
      if (text[i] == '#' && std::isspace(static_cast<unsigned char>(text[i - 1])))
        return std::string(trim(text.substr(0, i)));
    return std::string(text);
  }
  std::string value;
  size_t i = 1;
  for (; i < text.size() && text[i] != quote; ++i) {
    if (quote == '"' && text[i] == '\\' && i + 1 < text.size()) {
      const char next = text[++i];
      value += next == 'n' ? '\n' : next;
    } else {
      value += text[i];
    }
  }
  if (i >= text.size()) fail_line(path, line, fmt::format("the value has no closing {} quote", quote));
  const std::string_view rest = trim(text.substr(i + 1));
  if (!rest.empty() && rest.front() != '#')
    fail_line(path, line, "unexpected text after the closing quote (only a # comment may follow)");
  return value;
}

// The whole file, or nullopt when it does not exist.
std::optional<DotEnv> read_dotenv(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in || !std::filesystem::is_regular_file(path, ec))
    throw SoiError(ErrorCategory::config, path + ": cannot be read");
  DotEnv values;
  std::string text;
  for (size_t line = 1; std::getline(in, text); ++line) {
    std::string_view rest = trim(text);
    if (rest.empty() || rest.front() == '#') continue;
    if (rest.starts_with("export ") || rest.starts_with("export\t")) rest = trim(rest.substr(7));
    const size_t eq = rest.find('=');
    if (eq == std::string_view::npos) fail_line(path, line, "expected NAME=VALUE");
    const std::string_view name = trim(rest.substr(0, eq));
    if (!valid_name(name))
      fail_line(path, line, "expected NAME=VALUE with a NAME of letters, digits and underscores");
    values[std::string(name)] = parse_value(rest.substr(eq + 1), path, line);  // last one wins, as in a shell
  }
  return values;
}

}  // namespace

std::optional<std::string> get_secret(std::string_view name, const std::string& dotenv_path) {
  const std::string key(name);
  std::optional<std::string> value;
  if (const char* env = std::getenv(key.c_str()); env != nullptr && *env != '\0') {
    value = env;
  } else if (auto file = read_dotenv(dotenv_path)) {
    if (auto it = file->find(name); it != file->end() && !it->second.empty()) value = it->second;
  }
  if (value) register_secret(*value);
  return value;
}

std::optional<std::string> load_api_key(const std::string& dotenv_path) {
  if (auto key = get_secret("MASSIVE_API_KEY", dotenv_path)) return key;
  return get_secret("POLYGON_API_KEY", dotenv_path);
}

}  // namespace soi
