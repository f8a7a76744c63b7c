// What an S3 answer means for the request that got it: done, worth another
// attempt, or a failure of a given category, and the SoiError that reports it.
//
//   - no HTTP answer (connection refused, reset, timeout): retried; network
//   - 429, a status of retry_policy.retry_on_status (5xx by default), and the
//     codes SlowDown, InternalError, ServiceUnavailable, RequestTimeout: retried;
//     rate_limit (429, SlowDown), server (5xx) or network (RequestTimeout)
//   - 401/403, SignatureDoesNotMatch, InvalidAccessKeyId, AccessDenied, a
//     refused session token: auth, never retried; the message names
//     AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)
//   - NoSuchBucket: config, naming the bucket
//   - any other 4xx (BadDigest, EntityTooSmall, InvalidPart, ...): storage, with
//     the S3 code and message of the error document
//   - a local file that cannot be read or written: storage, not retried
// A 2xx answer whose document is an <Error> (a CompleteMultipartUpload that
// failed after its 200 went out) is judged by its code like any error.
#pragma once

#include <string>

#include "config/config.hpp"
#include "sinks/store/s3_connection.hpp"
#include "utils/error.hpp"

namespace soi {

enum class S3Verdict { done, retry, fail };

struct S3Judgement {
  S3Verdict verdict = S3Verdict::done;
  ErrorCategory category = ErrorCategory::storage;
  std::string detail;            // "HTTP 400 BadDigest: <the server's message>", "connection refused", ...
  int http_status = 0;
  int retry_after_seconds = -1;  // from Retry-After on 429/503, when it is a number
};

// `error_in_body`: a 2xx answer may still carry an <Error> document.
S3Judgement judge_s3_response(const S3HttpResponse& response, const RetryPolicy& policy, bool error_in_body);

// Who was asking what, for messages: never a secret.
struct S3CallContext {
  std::string operation;  // "PUT", "GET", "UploadPart 3", ...
  std::string url;        // S3Client::url_of(key)
  std::string bucket;
  std::string endpoint;
  std::string access_key_id;  // masked in messages
  bool session_token = false;
};

// The SoiError of a failed (or finally given up) request after `attempts`.
SoiError s3_error(const S3Judgement& judgement, const S3CallContext& call, int attempts);

}  // namespace soi
