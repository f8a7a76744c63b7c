// Runs S3 requests to completion: one exchange after another on a pooled
// connection until the answer is judged done (s3_failure), a failure, or the
// retry policy is spent. Between attempts it waits the backoff of
// retry_policy.yaml (utils/backoff), or the server's Retry-After on 429/503
// when the policy respects it; a Retry-After longer than
// max_retry_after_seconds fails the request at once (rate_limit).
//
// Threads: execute() may run on several threads at once; each exchange has
// its own connection from the pool, the counters are atomic and the backoff's
// random source is guarded.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "sinks/store/s3_connection.hpp"
#include "sinks/store/s3_credentials.hpp"
#include "sinks/store/s3_failure.hpp"
#include "utils/backoff.hpp"

namespace soi {

// What a client has sent so far; retries included.
struct S3ClientStats {
  std::uint64_t requests = 0;  // HTTP exchanges attempted (each attempt counts)
  std::uint64_t retries = 0;
  std::uint64_t bytes_sent = 0;      // request bodies
  std::uint64_t bytes_received = 0;  // downloads and documents
};

// What one execute() is, for messages and for which answers it accepts.
struct S3Call {
  std::string operation;       // "PUT", "UploadPart 3", ...
  std::string key;             // "" for a request on the bucket
  bool error_in_body = false;  // a 2xx answer may hold an <Error> document
  bool missing_ok = false;     // a 404 other than NoSuchBucket is an answer, not a failure
};

class S3Executor {
 public:
  S3Executor(std::string endpoint, std::string region, std::string bucket, std::string bucket_url,
             S3Credentials credentials, RetryPolicy retry);

  // Sends `request` until done. Returns a 2xx answer (or, with missing_ok, a
  // 404 other than NoSuchBucket); throws SoiError otherwise. A download's
  // descriptor is truncated before each attempt.
  S3HttpResponse execute(const S3HttpRequest& request, const S3Call& call);

  // endpoint/bucket/key as a reader would name the object (no encoding, no credential).
  std::string url_of(std::string_view key) const;
  const std::string& bucket_url() const { return bucket_url_; }
  const std::string& bucket() const { return bucket_; }
  const std::string& endpoint() const { return endpoint_; }
  const S3Credentials& credentials() const { return credentials_; }
  const RetryPolicy& retry() const { return retry_; }

  S3ClientStats stats() const;
  void set_sleeper(std::function<void(std::chrono::milliseconds)> sleeper) { sleeper_ = std::move(sleeper); }

 private:
  std::chrono::milliseconds backoff_delay(int attempt);

  std::string endpoint_;
  std::string bucket_;
  std::string bucket_url_;
  S3Credentials credentials_;
  RetryPolicy retry_;
  S3ConnectionPool pool_;
  std::mutex backoff_mutex_;
  Backoff backoff_;
  std::function<void(std::chrono::milliseconds)> sleeper_;
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> retries_{0};
  std::atomic<std::uint64_t> bytes_sent_{0};
  std::atomic<std::uint64_t> bytes_received_{0};
};

}  // namespace soi
