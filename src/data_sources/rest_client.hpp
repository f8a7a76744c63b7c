// HTTP GET against the Polygon/Massive REST API with one reused libcurl handle
// (connection reuse), gzip, connect and total timeouts, the API key in the
// Authorization header only, and retries from retry_policy.yaml:
// exponential backoff with jitter, Retry-After honoured on 429/503, retry on the
// configured statuses, timeouts and connection resets, never on other 4xx.
// One RestClient per thread (a curl handle is not shared across threads).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "utils/backoff.hpp"
#include "utils/error.hpp"
#include "utils/rate_limiter.hpp"

namespace soi {

struct HttpResponse {
  long status = 0;
  std::string body;  // with SIMDJSON padding capacity reserved
  std::string url;   // redacted
  double seconds = 0;
  int attempts = 0;
  std::string retry_after;    // Retry-After header, when sent
  std::string network_error;  // non-empty when no HTTP answer arrived
  bool timed_out = false;
};

struct RestClientStats {
  std::uint64_t requests = 0;  // HTTP exchanges, retries included
  std::uint64_t retries = 0;
  std::uint64_t bytes = 0;
};

class RestClient {
 public:
  // Largest response body read (the largest page, 50,000 bars, is about 6 MB): a longer
  // body is cut off and the exchange fails as a network error, so a broken or hostile
  // server cannot make the client allocate without bound.
  static constexpr std::size_t kMaxResponseBytes = 64u << 20;

  RestClient(std::string base_url, std::string api_key, RetryPolicy policy);
  ~RestClient();
  RestClient(const RestClient&) = delete;
  RestClient& operator=(const RestClient&) = delete;

  // GET a path ("/v2/aggs/...") or a next_url. An absolute next_url is reduced to
  // its path and query and sent to our base URL: the key never goes to a host we
  // were not configured for. Returns the 2xx response; throws SoiError otherwise.
  HttpResponse get(const std::string& path_or_url, const ErrorContext& context);

  // One exchange, no retry (used by get(); exposed for tests).
  HttpResponse get_once(const std::string& path_or_url);

  const std::string& base_url() const { return base_url_; }
  const RestClientStats& stats() const { return stats_; }

  // Replaces the sleep used between attempts (tests).
  void set_sleeper(std::function<void(int ms)> sleeper) { sleeper_ = std::move(sleeper); }

  // Every HTTP exchange (retries included) first acquires a token from this
  // limiter; share one limiter between all clients of a host. nullptr: no limit.
  // A 429/503 with Retry-After (when the policy respects it) holds the limiter,
  // so every client of the host waits, not only the one that was answered.
  void set_rate_limiter(std::shared_ptr<RateLimiter> limiter) { limiter_ = std::move(limiter); }
  const std::shared_ptr<RateLimiter>& rate_limiter() const { return limiter_; }

  // "/v2/aggs/x?cursor=1" from "https://api.massive.com/v2/aggs/x?cursor=1".
  static std::string path_of(const std::string& path_or_url);

 private:
  struct CurlState;
  [[noreturn]] void throw_for_status(const HttpResponse& r, const ErrorContext& context) const;
  // Retry-After when the server sent one (and the policy respects it), else the backoff.
  int backoff_ms(int attempt, int retry_after_seconds);

  std::string base_url_;
  std::string api_key_;
  RetryPolicy policy_;
  Backoff backoff_;
  std::unique_ptr<CurlState> curl_;
  RestClientStats stats_;
  std::function<void(int)> sleeper_;
  std::shared_ptr<RateLimiter> limiter_;
};

// Which API an endpoint belongs to, for auth messages ("Stocks aggregates API").
std::string api_name_for_path(const std::string& path);

}  // namespace soi
