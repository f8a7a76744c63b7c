// Secrets come only from the process environment or a git-ignored .env file, never
// from config/*.yaml (the config loader refuses secret-looking keys). Every secret
// handed out is registered for redaction, so it cannot reach a log, error or file.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace soi {

// The value of `name`: the process environment first; when the variable is unset
// (or empty: an empty secret is never valid, and `VAR=` is a common leftover in
// shell profiles) the last `name=` line of `dotenv_path`. The file never overrides
// a non-empty environment variable and is only read when needed. A missing file is
// fine; a malformed one throws SoiError(config) naming the file and line, never a
// value. The returned secret is registered with register_secret().
std::optional<std::string> get_secret(std::string_view name, const std::string& dotenv_path = ".env");

// The Massive/Polygon API key: MASSIVE_API_KEY, else POLYGON_API_KEY (its older
// name), each looked up as get_secret() does.
std::optional<std::string> load_api_key(const std::string& dotenv_path = ".env");

}  // namespace soi
