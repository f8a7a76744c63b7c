#include "sinks/store/s3_credentials.hpp"

#include <vector>

#include "utils/error.hpp"
#include "utils/secrets.hpp"

namespace soi {

S3Credentials load_s3_credentials(const std::string& dotenv_path) {
  S3Credentials credentials;
  std::vector<std::string> missing;
  const auto read = [&](const char* name, std::string& into, bool required) {
    if (auto value = get_secret(name, dotenv_path)) {
      into = std::move(*value);
    } else if (required) {
      missing.emplace_back(name);
    }
  };
  read("AWS_ACCESS_KEY_ID", credentials.access_key_id, true);
  read("AWS_SECRET_ACCESS_KEY", credentials.secret_access_key, true);
  read("AWS_SESSION_TOKEN", credentials.session_token, false);
  if (!missing.empty()) {
    std::string names;
    for (const std::string& name : missing) names += (names.empty() ? "" : " and ") + name;
    throw SoiError(ErrorCategory::auth, "the object store needs " + names +
                                            " (set in the environment or in " + dotenv_path + ")");
  }
  return credentials;
}

}  // namespace soi
