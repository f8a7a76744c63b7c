#include "data_sources/rest_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <simdjson.h>

#include "config/retry_backoff.hpp"
#include "data_sources/response_buffer_pool.hpp"
#include "monitoring/logging.hpp"
#include "utils/redact.hpp"

namespace soi {

// What one response's callbacks fill in (CurlState holds it, so not in the
// anonymous namespace).
struct ResponseBuffers {
  std::string retry_after;           // Retry-After header, when sent
  std::uint64_t content_length = 0;  // Content-Length header; 0 when absent
  std::string body;
};

namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

size_t write_body(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<ResponseBuffers*>(user);
  std::string& body = response->body;
  if (size * count > RestClient::kMaxResponseBytes - body.size()) return 0;  // curl fails the transfer
  // A day of bars is megabytes: growing by doubling copied it several times
  // over and faulted in fresh pages each time. An uncompressed body's length
  // is known up front (a compressed one's is a lower bound, still fewer copies).
  if (body.empty() && response->content_length > 0) {
    const std::size_t needed =
        std::min<std::uint64_t>(response->content_length, RestClient::kMaxResponseBytes) + simdjson::SIMDJSON_PADDING;
    // A large body is read into a parsed one's buffer, whose pages are mapped already.
    if (body.capacity() < needed && needed >= ResponseBufferPool::kMinBufferBytes)
      if (std::string reused = ResponseBufferPool::shared().take(needed); reused.capacity() >= needed)
        body = std::move(reused);
    body.reserve(needed);
  }
  body.append(data, size * count);
  return size * count;
}

// The value of `line` when it is the header `lower_name` ("retry-after:"), trimmed.
std::optional<std::string> header_value(std::string_view line, std::string_view lower_name) {
  if (line.size() <= lower_name.size()) return std::nullopt;
  for (std::size_t i = 0; i < lower_name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != lower_name[i]) return std::nullopt;
  std::string value(line.substr(lower_name.size()));
  value.erase(0, value.find_first_not_of(" \t"));
  value.erase(value.find_last_not_of(" \t\r\n") + 1);
  return value;
}

size_t read_header(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<ResponseBuffers*>(user);
  const std::string_view line(data, size * count);
  if (auto value = header_value(line, "retry-after:")) {
    response->retry_after = std::move(*value);
  } else if (auto length = header_value(line, "content-length:")) {
    std::uint64_t n = 0;
    const auto [end, error] = std::from_chars(length->data(), length->data() + length->size(), n);
    response->content_length = error == std::errc() && end == length->data() + length->size() ? n : 0;
  }
  return size * count;
}

// Text of the service's error body ("error" for ERROR, "message" otherwise).
std::string service_message(const std::string& body) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(body);
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc)) return "";
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj)) return "";
  std::string found;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return found;
    if (key == "error" || key == "message") {
      std::string_view text;
      if (!field.value().get_string().get(text)) found = std::string(text);
    }
  }
  return found;
}

std::string host_of(const std::string& base) {
  auto scheme = base.find("://");
  auto start = scheme == std::string::npos ? 0 : scheme + 3;
  auto end = base.find('/', start);
  return base.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

struct RestClient::CurlState {
  CURL* handle = nullptr;
  curl_slist* headers = nullptr;
  ResponseBuffers response;
  char error[CURL_ERROR_SIZE] = {};
};

std::string api_name_for_path(const std::string& path) {
  if (path.find("/v2/aggs/ticker/I:") != std::string::npos) return "Indices aggregates API";
  if (path.find("/v2/aggs/ticker/O:") != std::string::npos) return "Options aggregates API";
  if (path.find("/v2/aggs/") != std::string::npos) return "Stocks aggregates API";
  if (path.find("/v3/reference/options/contracts") != std::string::npos) return "Options contracts reference API";
  if (path.find("/v2/reference/news") != std::string::npos) return "Ticker news API";
  if (path.find("/v1/marketstatus") != std::string::npos) return "Market status API";
  if (path.find("/v1/open-close") != std::string::npos) return "Daily open/close API";
  return "REST API";
}

RestClient::RestClient(std::string base_url, std::string api_key, RetryPolicy policy)
    : base_url_(std::move(base_url)), api_key_(std::move(api_key)), policy_(std::move(policy)),
      backoff_(backoff_policy(policy_)), curl_(std::make_unique<CurlState>()) {
  static CurlGlobal global;
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  register_secret(api_key_);
  curl_->handle = curl_easy_init();
  if (!curl_->handle) throw SoiError(ErrorCategory::network, "libcurl: cannot create a handle");
  CURL* h = curl_->handle;
  curl_->headers = curl_slist_append(curl_->headers, ("Authorization: Bearer " + api_key_).c_str());
  curl_->headers = curl_slist_append(curl_->headers, "Accept: application/json");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, curl_->headers);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "spy-options-intelligence/0.1 (soi)");
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // every encoding libcurl supports (gzip, deflate)
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(policy_.connect_timeout_seconds) * 1000L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(policy_.request_timeout_seconds) * 1000L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect could carry the Authorization header elsewhere
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &curl_->response);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, read_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &curl_->response);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_->error);
  sleeper_ = [](int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); };
}

RestClient::~RestClient() {
  if (curl_->headers) curl_slist_free_all(curl_->headers);
  if (curl_->handle) curl_easy_cleanup(curl_->handle);
}

std::string RestClient::path_of(const std::string& path_or_url) {
  auto scheme = path_or_url.find("://");
  if (scheme == std::string::npos) return path_or_url;
  auto slash = path_or_url.find('/', scheme + 3);
  return slash == std::string::npos ? "/" : path_or_url.substr(slash);
}

HttpResponse RestClient::get_once(const std::string& path_or_url) {
  const std::string path = path_of(path_or_url);
  const std::string url = base_url_ + path;
  CURL* h = curl_->handle;
  curl_->response.body.clear();
  curl_->response.retry_after.clear();
  curl_->response.content_length = 0;
  curl_->error[0] = '\0';
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  RateLimiter::Permit permit;
  if (limiter_) permit = limiter_->acquire_permit();
  const auto start = std::chrono::steady_clock::now();
  const auto limiter_start = limiter_ ? limiter_->now() : start;
  CURLcode code = curl_easy_perform(h);
  if (limiter_) {
    // When the request left (after any connect and TLS handshake): what the
    // server's count sees, and what the limiter's window must hold.
    curl_off_t pretransfer_us = 0;
    if (curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us) == CURLE_OK && pretransfer_us > 0)
      permit.sent(limiter_start + std::chrono::microseconds(pretransfer_us));
    else
      permit.sent(limiter_->now());
  }
  HttpResponse r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.url = redact(url);
  ++stats_.requests;
  r.retry_after = curl_->response.retry_after;
  if (code != CURLE_OK) {
    // What arrived of the body is not used: its buffer goes back for another response.
    ResponseBufferPool::shared().give_back(std::exchange(curl_->response.body, std::string()));
    r.network_error = curl_->error[0] ? curl_->error : curl_easy_strerror(code);
    if (code == CURLE_WRITE_ERROR)
      r.network_error = fmt::format("response body larger than {} MiB, refused", kMaxResponseBytes >> 20);
    r.timed_out = code == CURLE_OPERATION_TIMEDOUT;
    return r;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  stats_.bytes += curl_->response.body.size();
  // The body moves out, with the padding the parser reads past its end: no
  // copy, and no page-sized buffer kept per client between requests (a
  // backfill has dozens of clients); parsed bodies go back to the shared pool.
  curl_->response.body.reserve(curl_->response.body.size() + simdjson::SIMDJSON_PADDING);
  r.body = std::move(curl_->response.body);
  curl_->response.body = std::string();
  return r;
}

int RestClient::backoff_ms(int attempt, int retry_after_seconds) {
  if (retry_after_seconds >= 0 && policy_.respect_retry_after) return retry_after_seconds * 1000;
  return static_cast<int>(backoff_.delay(attempt).count());
}

HttpResponse RestClient::get(const std::string& path_or_url, const ErrorContext& context) {
  ErrorContext ctx = context;
  for (int attempt = 1;; ++attempt) {
    HttpResponse r = get_once(path_or_url);
    r.attempts = attempt;
    ctx.url = r.url;
    const bool last = attempt >= policy_.max_attempts;
    const bool network_error = !r.network_error.empty();
    if (network_error) {
      if (last) {
        throw SoiError(ErrorCategory::network,
                       fmt::format("{} after {} attempt(s): {}", r.timed_out ? "request timed out" : "network error",
                                   attempt, r.network_error),
                       ctx);
      }
    } else if (r.status >= 200 && r.status < 300) {
      return r;
    } else {
      const bool retryable = std::find(policy_.retry_on_status.begin(), policy_.retry_on_status.end(),
                                       static_cast<int>(r.status)) != policy_.retry_on_status.end();
      if (!retryable || last) throw_for_status(r, ctx);
    }
    int retry_after = -1;
    if (!network_error && (r.status == 429 || r.status == 503) && !r.retry_after.empty()) {
      try {
        retry_after = std::stoi(r.retry_after);
      } catch (...) {
        retry_after = -1;  // HTTP-date form: fall back to our own backoff
      }
      if (retry_after > policy_.max_retry_after_seconds) {
        throw SoiError(ErrorCategory::rate_limit,
                       fmt::format("server asked to retry after {} s, more than retry_policy.max_retry_after_seconds={}",
                                   retry_after, policy_.max_retry_after_seconds),
                       ctx, static_cast<int>(r.status));
      }
    }
    int wait = backoff_ms(attempt, retry_after);
    if (limiter_ && retry_after > 0 && policy_.respect_retry_after) {
      // The server asked the host's clients to wait: every client sharing the
      // limiter pauses, and this one waits in acquire() before its next attempt.
      limiter_->pause_for(std::chrono::seconds(retry_after));
      wait = 0;
    }
    ++stats_.retries;
    exec_log().debug("retry {}/{} in {} ms: {} ({})", attempt, policy_.max_attempts, wait,
                     network_error ? r.network_error : fmt::format("HTTP {}", r.status), r.url);
    sleeper_(wait);
  }
}

void RestClient::throw_for_status(const HttpResponse& r, const ErrorContext& context) const {
  const std::string path = path_of(context.url);
  const std::string server_text = service_message(r.body);
  const std::string what = server_text.empty() ? r.body.substr(0, 200) : server_text;
  const int status = static_cast<int>(r.status);
  if (status == 401) {
    throw SoiError(ErrorCategory::auth,
                   fmt::format("authentication failed (HTTP 401) at {} for the {}: \"{}\". Check MASSIVE_API_KEY "
                               "(or POLYGON_API_KEY); the key in use ends in {}",
                               host_of(base_url_), api_name_for_path(path), what, mask_secret(api_key_)),
                   context, status);
  }
  if (status == 403) {
    throw SoiError(ErrorCategory::auth,
                   fmt::format("not entitled (HTTP 403) at {} to the {}: \"{}\". Your plan does not include this data "
                               "or timeframe; upgrade the plan or narrow the request",
                               host_of(base_url_), api_name_for_path(path), what),
                   context, status);
  }
  if (status == 429) {
    throw SoiError(ErrorCategory::rate_limit,
                   fmt::format("rate limited (HTTP 429) by {} after {} attempt(s): \"{}\"", host_of(base_url_),
                               policy_.max_attempts, what),
                   context, status);
  }
  if (status >= 500) {
    throw SoiError(ErrorCategory::server, fmt::format("server error HTTP {} from {}: \"{}\"", status,
                                                      host_of(base_url_), what),
                   context, status);
  }
  throw SoiError(ErrorCategory::validation, fmt::format("request refused with HTTP {}: \"{}\"", status, what), context,
                 status);
}

}  // namespace soi
