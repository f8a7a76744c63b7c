#include "sinks/store/s3_failure.hpp"

#include <algorithm>
#include <cstdlib>

#include "sinks/store/s3_xml.hpp"
#include "utils/redact.hpp"

namespace soi {
namespace {

bool is_auth_code(const std::string& code) {
  return code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId" || code == "AccessDenied" ||
         code == "ExpiredToken" || code == "InvalidToken" || code == "TokenRefreshRequired" ||
         code == "AuthorizationHeaderMalformed";
}

bool is_retryable_code(const std::string& code) {
  return code == "SlowDown" || code == "InternalError" || code == "ServiceUnavailable" || code == "RequestTimeout";
}

std::string describe_answer(long status, const S3ErrorBody& error) {
  std::string detail = "HTTP " + std::to_string(status);
  if (!error.code.empty()) detail += " " + error.code;
  if (!error.message.empty()) detail += ": " + error.message;
  return detail;
}

}  // namespace

S3Judgement judge_s3_response(const S3HttpResponse& r, const RetryPolicy& policy, bool error_in_body) {
  S3Judgement j;
  j.http_status = static_cast<int>(r.status);
  if (!r.local_error.empty()) {
    j.verdict = S3Verdict::fail;
    j.category = ErrorCategory::storage;
    j.detail = r.local_error;
    return j;
  }
  if (r.status == 0) {
    j.verdict = S3Verdict::retry;
    j.category = ErrorCategory::network;
    j.detail = r.cancelled ? "cancelled" : (r.timed_out ? "timed out: " : "") + r.transport_error;
    if (r.cancelled) j.verdict = S3Verdict::fail;
    return j;
  }
  const bool success = r.status >= 200 && r.status < 300;
  if (success && !(error_in_body && xml_root_name(r.body) == "Error")) return j;

  const S3ErrorBody error = parse_s3_error(r.body);
  j.detail = describe_answer(r.status, error);
  const int status = static_cast<int>(r.status);
  const bool retryable_status =
      !success && std::find(policy.retry_on_status.begin(), policy.retry_on_status.end(), status) !=
                      policy.retry_on_status.end();
  if (retryable_status || is_retryable_code(error.code)) {
    j.verdict = S3Verdict::retry;
    if (status == 429 || error.code == "SlowDown") j.category = ErrorCategory::rate_limit;
    else if (error.code == "RequestTimeout") j.category = ErrorCategory::network;
    else j.category = ErrorCategory::server;
    if ((status == 429 || status == 503) && !r.retry_after.empty()) {
      char* end = nullptr;
      const long seconds = std::strtol(r.retry_after.c_str(), &end, 10);
      if (end && *end == '\0' && seconds >= 0) j.retry_after_seconds = static_cast<int>(std::min(seconds, 1L << 30));
    }
    return j;
  }
  j.verdict = S3Verdict::fail;
  if (status == 401 || status == 403 || is_auth_code(error.code)) {
    j.category = ErrorCategory::auth;
  } else if (error.code == "NoSuchBucket") {
    j.category = ErrorCategory::config;
  } else if (status >= 500) {
    j.category = ErrorCategory::server;
  } else {
    j.category = ErrorCategory::storage;
  }
  return j;
}

SoiError s3_error(const S3Judgement& j, const S3CallContext& call, int attempts) {
  const std::string request = call.operation + " " + call.url;
  ErrorContext context;
  context.url = redact(call.url);
  std::string message;
  switch (j.category) {
    case ErrorCategory::auth:
      message = "the object store refused the credentials: " + request + ": " + j.detail +
                ". Check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" +
                (call.session_token ? " (and AWS_SESSION_TOKEN, which is set)" : "") +
                "; the access key in use ends in " + mask_secret(call.access_key_id);
      break;
    case ErrorCategory::config:
      message = "bucket '" + call.bucket + "' does not exist at " + call.endpoint + " (" + request + ": " + j.detail +
                "): create it, or correct object_store.bucket in sinks.yaml";
      break;
    case ErrorCategory::network:
      message = request + ": " + (j.http_status ? j.detail : "network error: " + j.detail);
      break;
    default:
      message = request + ": " + j.detail;
  }
  if (attempts > 1) message += " (after " + std::to_string(attempts) + " attempts)";
  return SoiError(j.category, redact(message), context, j.http_status);
}

}  // namespace soi
