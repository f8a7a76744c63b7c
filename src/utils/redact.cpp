#include "utils/redact.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <shared_mutex>
#include <vector>

namespace soi {
namespace {

struct SecretStore {
  std::shared_mutex mutex;
  std::vector<std::string> secrets;
};

SecretStore& store() {
  static SecretStore s;
  return s;
}

bool is_key_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'; }

// Masks the value after "apiKey=" / "api_key=" / "apikey=" (case-insensitive).
void mask_query_keys(std::string& text) {
  static const std::string_view names[] = {"apikey=", "api_key="};
  std::string lower(text.size(), '\0');
  std::transform(text.begin(), text.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (std::string_view name : names) {
    size_t pos = 0;
    while ((pos = lower.find(name, pos)) != std::string::npos) {
      size_t start = pos + name.size();
      size_t end = start;
      while (end < text.size() && is_key_char(text[end])) ++end;
      std::string_view value(text.data() + start, end - start);
      if (!value.empty() && value.substr(0, 4) != "****") {
        std::string masked = mask_secret(value);
        text.replace(start, end - start, masked);
        lower.replace(start, end - start, masked);
      }
      pos = start;
    }
  }
}

}  // namespace

void register_secret(std::string secret) {
  if (secret.size() < 4) return;
  auto& s = store();
  std::unique_lock lock(s.mutex);
  if (std::find(s.secrets.begin(), s.secrets.end(), secret) == s.secrets.end()) s.secrets.push_back(std::move(secret));
  // Longest first so that a secret containing another is masked whole.
  std::sort(s.secrets.begin(), s.secrets.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

void clear_secrets() {
  auto& s = store();
  std::unique_lock lock(s.mutex);
  s.secrets.clear();
}

std::string mask_secret(std::string_view secret) {
  if (secret.size() < 4) return "****";
  return "****" + std::string(secret.substr(secret.size() - 4));
}

std::string redact(std::string_view text) {
  std::string out(text);
  {
    auto& s = store();
    std::shared_lock lock(s.mutex);
    for (const auto& secret : s.secrets) {
      const std::string masked = mask_secret(secret);
      size_t pos = 0;
      while ((pos = out.find(secret, pos)) != std::string::npos) {
        out.replace(pos, secret.size(), masked);
        pos += masked.size();
      }
    }
  }
  mask_query_keys(out);
  return out;
}

}  // namespace soi
