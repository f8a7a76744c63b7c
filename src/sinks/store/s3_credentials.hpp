// The credentials of an S3-compatible bucket. They come only from the process
// environment or the git-ignored .env (utils/secrets), never from a YAML file,
// and every value is registered for redaction as soon as it is read, so none
// can reach a log line, an error message or a file.
#pragma once

#include <string>

namespace soi {

struct S3Credentials {
  std::string access_key_id;      // AWS_ACCESS_KEY_ID (Swift's tempauth: "account:user", a colon included)
  std::string secret_access_key;  // AWS_SECRET_ACCESS_KEY
  std::string session_token;      // AWS_SESSION_TOKEN, optional: sent as x-amz-security-token when set
};

// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (optional) AWS_SESSION_TOKEN,
// each from the environment or else `dotenv_path` as get_secret() reads them.
// Throws SoiError(auth) naming the missing variables, never a value.
S3Credentials load_s3_credentials(const std::string& dotenv_path = ".env");

}  // namespace soi
