// Name checks shared by the YAML and environment readers: "did you mean" hints for
// typos and the test for keys that look like they hold a secret.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace soi::config {

// Levenshtein distance, case-insensitive.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `name` when it is close enough to be a plausible typo.
std::optional<std::string> closest_name(std::string_view name, const std::vector<std::string>& candidates);

// True for api_key, apiKey, API-KEY, token, db_password, secret_key, credentials...:
// the name (case-insensitive) or one of its _/-/. separated words is a secret word.
bool looks_like_secret(std::string_view name);

// The one message for a secret found where secrets are not read (no value in it).
std::string secret_refusal(std::string_view where);

}  // namespace soi::config
