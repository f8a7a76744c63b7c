#include "config/config_names.hpp"

#include <algorithm>
#include <cctype>

#include "utils/ascii.hpp"

namespace soi::config {
namespace {

bool is_secret_word(std::string_view word) {
  static constexpr std::string_view kWords[] = {"apikey", "key",    "secret",     "secrets", "password", "passwd",
                                                "pwd",    "token",  "credential", "credentials", "auth"};
  return std::find(std::begin(kWords), std::end(kWords), word) != std::end(kWords);
}

}  // namespace

size_t edit_distance(std::string_view a_raw, std::string_view b_raw) {
  const std::string a = ascii_lower(a_raw);
  const std::string b = ascii_lower(b_raw);
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<std::string> closest_name(std::string_view name, const std::vector<std::string>& candidates) {
  // A third of the name's length catches transpositions and dropped letters in
  // long keys without suggesting something unrelated for short ones.
  const size_t limit = std::max<size_t>(2, name.size() / 3);
  std::optional<std::string> best;
  size_t best_distance = limit + 1;
  for (const auto& candidate : candidates) {
    const size_t d = edit_distance(name, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

bool looks_like_secret(std::string_view name) {
  const std::string l = ascii_lower(name);
  std::string joined;  // "api_key" / "API-Key" / "apiKey" -> "apikey"
  std::vector<std::string> words(1);
  for (char c : l) {
    if (c == '_' || c == '-' || c == '.' || c == ' ') {
      if (!words.back().empty()) words.emplace_back();
      continue;
    }
    joined += c;
    words.back() += c;
  }
  if (is_secret_word(joined)) return true;
  if (joined.ends_with("apikey") || joined.ends_with("password") || joined.ends_with("passwd") ||
      joined.ends_with("token") || joined.ends_with("secret"))
    return true;  // camelCase forms such as accessToken, dbPassword, clientSecret
  return std::any_of(words.begin(), words.end(), [](const std::string& w) { return is_secret_word(w); });
}

std::string secret_refusal(std::string_view where) {
  // Name the variables of the secret the key is most likely meant to be.
  const bool cloud = where.find("object_store") != std::string_view::npos ||
                     ascii_lower(where).find("aws") != std::string::npos;
  if (ascii_lower(where).find("clickhouse") != std::string::npos)
    return std::string(where) +
           ": secrets are not read from YAML files; set the variable named by clickhouse.password_env "
           "(SOI_CLICKHOUSE_PASSWORD by default) in the environment or in a git-ignored .env file";
  return std::string(where) + ": secrets are not read from YAML files; set " +
         (cloud ? "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials)"
                : "MASSIVE_API_KEY (or POLYGON_API_KEY)") +
         " in the environment or in a git-ignored .env file";
}

}  // namespace soi::config
