#include "sinks/store/s3_connection.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "utils/error.hpp"

namespace soi {
namespace {

// An answer that is not a download is an XML document or an error: never this big.
constexpr std::size_t kMaxMemoryBody = 64u << 20;
// Bigger than libcurl's 64 KiB default: fewer callbacks and system calls per
// megabyte of a file body or a download.
constexpr long kTransferBuffer = 512 * 1024;

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

// What the callbacks of one exchange share.
struct Exchange {
  const S3HttpRequest& request;
  S3HttpResponse& response;
  CURL* curl;
  std::uint64_t body_position = 0;
  EVP_MD_CTX* download_digest = nullptr;
  ~Exchange() {
    if (download_digest) EVP_MD_CTX_free(download_digest);
  }
  std::uint64_t body_size() const { return request.body_fd >= 0 ? request.body_length : request.body.size(); }
};

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  return true;
}

std::string trimmed(std::string_view value) {
  const std::size_t first = value.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const std::size_t last = value.find_last_not_of(" \t\r\n");
  return std::string(value.substr(first, last - first + 1));
}

size_t read_body(char* buffer, size_t size, size_t count, void* user) {
  auto& x = *static_cast<Exchange*>(user);
  const std::uint64_t remaining = x.body_size() - std::min(x.body_position, x.body_size());
  const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(size * count, remaining));
  if (want == 0) return 0;
  if (x.request.body_fd < 0) {
    std::memcpy(buffer, x.request.body.data() + x.body_position, want);
    x.body_position += want;
    x.response.sent += want;
    return want;
  }
  for (;;) {
    const ssize_t n =
        ::pread(x.request.body_fd, buffer, want, static_cast<off_t>(x.request.body_offset + x.body_position));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      x.response.local_error = "cannot read " + x.request.body_file + ": " +
                               (n < 0 ? std::string(std::strerror(errno)) : std::string("it shrank while being sent"));
      return CURL_READFUNC_ABORT;
    }
    x.body_position += static_cast<std::uint64_t>(n);
    x.response.sent += static_cast<std::uint64_t>(n);
    return static_cast<std::size_t>(n);
  }
}

// libcurl rewinds the body when it must send it again on the same request.
int seek_body(void* user, curl_off_t offset, int origin) {
  auto& x = *static_cast<Exchange*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<std::uint64_t>(offset) > x.body_size())
    return CURL_SEEKFUNC_CANTSEEK;
  x.body_position = static_cast<std::uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

size_t write_body(char* data, size_t size, size_t count, void* user) {
  auto& x = *static_cast<Exchange*>(user);
  const std::size_t n = size * count;
  long status = 0;
  if (x.request.download_fd >= 0) curl_easy_getinfo(x.curl, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) {
    if (x.response.body.size() + n > kMaxMemoryBody) return 0;  // CURLE_WRITE_ERROR
    x.response.body.append(data, n);
    return n;
  }
  if (!x.download_digest) {
    x.download_digest = EVP_MD_CTX_new();
    if (!x.download_digest || EVP_DigestInit_ex(x.download_digest, EVP_sha256(), nullptr) != 1) {
      x.response.local_error = "openssl: cannot initialise sha256";
      return 0;
    }
  }
  for (std::size_t done = 0; done < n;) {
    const ssize_t w = ::pwrite(x.request.download_fd, data + done, n - done,
                               static_cast<off_t>(x.response.downloaded + done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      x.response.local_error = std::string("cannot write the download: ") + std::strerror(errno);
      return 0;
    }
    done += static_cast<std::size_t>(w);
  }
  EVP_DigestUpdate(x.download_digest, data, n);
  x.response.downloaded += n;
  return n;
}

size_t read_header(char* data, size_t size, size_t count, void* user) {
  auto& r = static_cast<Exchange*>(user)->response;
  const std::string_view line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {  // a new answer (after "100 Continue"): forget the last one's headers
    r.etag.clear();
    r.meta_sha256.clear();
    r.retry_after.clear();
    r.content_length.reset();
    return line.size();
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return line.size();
  const std::string_view name = line.substr(0, colon + 1);
  const std::string_view value = line.substr(colon + 1);
  if (starts_with_ignoring_case(name, "etag:") && name.size() == 5) {
    r.etag = trimmed(value);
  } else if (starts_with_ignoring_case(name, "x-amz-meta-sha256:") && name.size() == 18) {
    r.meta_sha256 = trimmed(value);
  } else if (starts_with_ignoring_case(name, "retry-after:") && name.size() == 12) {
    r.retry_after = trimmed(value);
  } else if (starts_with_ignoring_case(name, "content-length:") && name.size() == 15) {
    const std::string text = trimmed(value);
    char* end = nullptr;
    const unsigned long long length = std::strtoull(text.c_str(), &end, 10);
    if (!text.empty() && end && *end == '\0') r.content_length = length;
  }
  return line.size();
}

int check_cancel(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto& x = *static_cast<Exchange*>(user);
  if (x.request.cancel && x.request.cancel->load(std::memory_order_relaxed)) {
    x.response.cancelled = true;
    return 1;
  }
  return 0;
}

}  // namespace

struct S3Connection::Handle {
  CURL* curl = nullptr;
  char error[CURL_ERROR_SIZE] = {};
};

S3Connection::S3Connection(std::string sigv4, const S3Credentials& credentials, const RetryPolicy& timeouts)
    : handle_(std::make_unique<Handle>()), sigv4_(std::move(sigv4)), credentials_(credentials), timeouts_(timeouts) {
  static CurlGlobal global;
  handle_->curl = curl_easy_init();
  if (!handle_->curl) throw SoiError(ErrorCategory::network, "libcurl: cannot create a handle");
}

S3Connection::~S3Connection() {
  if (handle_->curl) curl_easy_cleanup(handle_->curl);
}

S3HttpResponse S3Connection::perform(const S3HttpRequest& request) {
  S3HttpResponse response;
  CURL* h = handle_->curl;
  // Options are set afresh for every exchange; a reset keeps the handle's
  // live connections, so a connection is still reused.
  curl_easy_reset(h);
  Exchange x{request, response, h};

  curl_slist* headers = nullptr;
  for (const std::string& header : request.headers) headers = curl_slist_append(headers, header.c_str());
  std::string token_header;
  if (!credentials_.session_token.empty()) {
    token_header = "x-amz-security-token: " + credentials_.session_token;
    headers = curl_slist_append(headers, token_header.c_str());
  }
  struct HeaderList {
    curl_slist* list;
    ~HeaderList() { curl_slist_free_all(list); }
  } header_list{headers};

  handle_->error[0] = '\0';
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4_.c_str());
  curl_easy_setopt(h, CURLOPT_USERNAME, credentials_.access_key_id.c_str());
  curl_easy_setopt(h, CURLOPT_PASSWORD, credentials_.secret_access_key.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "spy-options-intelligence/0.1 (soi)");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect would need a new signature anyway
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, handle_->error);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeouts_.connect_timeout_seconds) * 1000L);
  const bool streams_a_file = request.body_fd >= 0 || request.download_fd >= 0;
  if (streams_a_file) {
    // A file may take longer than any fixed limit on a slow link: what fails
    // it is a stall, no byte moving for request_timeout_seconds.
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(timeouts_.request_timeout_seconds));
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, kTransferBuffer);
    curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, kTransferBuffer);
  } else {
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeouts_.request_timeout_seconds) * 1000L);
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, read_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
  if (request.cancel) {
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, check_cancel);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);
  }
  if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT" || request.method == "POST") {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);  // a PUT; the method is renamed below for a POST
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
    curl_easy_setopt(h, CURLOPT_READDATA, &x);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, seek_body);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &x);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(x.body_size()));
    if (request.method == "POST") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "POST");
  } else if (request.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  const CURLcode code = curl_easy_perform(h);
  if (x.download_digest && response.downloaded > 0) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(x.download_digest, digest, &length);
    static constexpr char kHex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < length; ++i) {
      response.download_sha256 += kHex[digest[i] >> 4];
      response.download_sha256 += kHex[digest[i] & 0xF];
    }
  }
  if (code != CURLE_OK) {
    response.status = 0;
    response.transport_error = handle_->error[0] ? handle_->error : curl_easy_strerror(code);
    response.timed_out = code == CURLE_OPERATION_TIMEDOUT;
    return response;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

S3ConnectionPool::S3ConnectionPool(std::string sigv4, const S3Credentials& credentials, const RetryPolicy& timeouts)
    : sigv4_(std::move(sigv4)), credentials_(credentials), timeouts_(timeouts) {}

S3ConnectionPool::~S3ConnectionPool() = default;

S3ConnectionPool::Lease::Lease(S3ConnectionPool& pool, std::unique_ptr<S3Connection> connection)
    : pool_(pool), connection_(std::move(connection)) {}

S3ConnectionPool::Lease::~Lease() {
  std::lock_guard lock(pool_.mutex_);
  pool_.idle_.push_back(std::move(connection_));
}

S3ConnectionPool::Lease S3ConnectionPool::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<S3Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(connection));
    }
  }
  return Lease(*this, std::make_unique<S3Connection>(sigv4_, credentials_, timeouts_));
}

}  // namespace soi
