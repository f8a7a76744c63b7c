#include "sinks/store/s3_executor.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "config/retry_backoff.hpp"
#include "utils/error.hpp"
#include "utils/redact.hpp"

namespace soi {

S3Executor::S3Executor(std::string endpoint, std::string region, std::string bucket, std::string bucket_url,
                       S3Credentials credentials, RetryPolicy retry)
    : endpoint_(std::move(endpoint)),
      bucket_(std::move(bucket)),
      bucket_url_(std::move(bucket_url)),
      credentials_(std::move(credentials)),
      retry_(std::move(retry)),
      pool_("aws:amz:" + region + ":s3", credentials_, retry_),
      backoff_(backoff_policy(retry_)),
      sleeper_([](std::chrono::milliseconds wait) { std::this_thread::sleep_for(wait); }) {
  register_secret(credentials_.access_key_id);
  register_secret(credentials_.secret_access_key);
  register_secret(credentials_.session_token);
}

std::string S3Executor::url_of(std::string_view key) const {
  return key.empty() ? bucket_url_ : bucket_url_ + "/" + std::string(key);
}

S3ClientStats S3Executor::stats() const {
  return {requests_.load(), retries_.load(), bytes_sent_.load(), bytes_received_.load()};
}

std::chrono::milliseconds S3Executor::backoff_delay(int attempt) {
  std::lock_guard lock(backoff_mutex_);
  return backoff_.delay(attempt);
}

S3HttpResponse S3Executor::execute(const S3HttpRequest& request, const S3Call& call) {
  const S3CallContext context{call.operation, url_of(call.key), bucket_, endpoint_, credentials_.access_key_id,
                              !credentials_.session_token.empty()};
  const int max_attempts = std::max(1, retry_.max_attempts);
  for (int attempt = 1;; ++attempt) {
    if (request.download_fd >= 0 && ::ftruncate(request.download_fd, 0) != 0)
      throw SoiError(ErrorCategory::storage,
                     call.operation + " " + context.url + ": cannot truncate the download: " + std::strerror(errno));
    S3HttpResponse response;
    {
      S3ConnectionPool::Lease connection = pool_.acquire();
      response = connection->perform(request);
    }
    requests_.fetch_add(1, std::memory_order_relaxed);
    bytes_sent_.fetch_add(response.sent, std::memory_order_relaxed);
    bytes_received_.fetch_add(response.downloaded + response.body.size(), std::memory_order_relaxed);

    S3Judgement judgement = judge_s3_response(response, retry_, call.error_in_body);
    if (judgement.verdict == S3Verdict::done) return response;
    if (call.missing_ok && response.status == 404 && judgement.category != ErrorCategory::config) return response;
    if (judgement.verdict == S3Verdict::fail || attempt >= max_attempts) throw s3_error(judgement, context, attempt);
    if (request.cancel && request.cancel->load()) throw s3_error(judgement, context, attempt);

    std::chrono::milliseconds wait{0};
    if (judgement.retry_after_seconds >= 0 && retry_.respect_retry_after) {
      if (judgement.retry_after_seconds > retry_.max_retry_after_seconds) {
        judgement.category = ErrorCategory::rate_limit;
        judgement.detail += ", and the server asked to retry after " + std::to_string(judgement.retry_after_seconds) +
                            " s, more than retry_policy.max_retry_after_seconds=" +
                            std::to_string(retry_.max_retry_after_seconds);
        throw s3_error(judgement, context, attempt);
      }
      wait = std::chrono::seconds(judgement.retry_after_seconds);
    } else {
      wait = backoff_delay(attempt);
    }
    retries_.fetch_add(1, std::memory_order_relaxed);
    sleeper_(wait);
  }
}

}  // namespace soi
