#include "sinks/clickhouse/clickhouse_http.hpp"

#include <curl/curl.h>

#include "sinks/clickhouse/clickhouse_error.hpp"
#include "sinks/clickhouse/gzip_body.hpp"
#include "utils/error.hpp"
#include "utils/redact.hpp"

namespace soi {
namespace {

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

std::string escape(CURL* curl, std::string_view text) {
  char* e = curl_easy_escape(curl, text.data(), static_cast<int>(text.size()));
  if (!e) throw SoiError(ErrorCategory::storage, "libcurl: out of memory escaping a URL");
  std::string out(e);
  curl_free(e);
  return out;
}

}  // namespace

struct ClickHouseHttp::Curl {
  CURL* handle = nullptr;
  curl_slist* headers = nullptr;
  ~Curl() {
    if (headers) curl_slist_free_all(headers);
    if (handle) curl_easy_cleanup(handle);
  }
};

ClickHouseHttp::ClickHouseHttp(ClickHouseEndpoint server) : server_(std::move(server)), curl_(std::make_unique<Curl>()) {
  while (server_.url.size() > 1 && server_.url.back() == '/') server_.url.pop_back();
  if (!server_.password.empty()) register_secret(server_.password);
  curl_->handle = curl_easy_init();
  if (!curl_->handle) throw SoiError(ErrorCategory::storage, "libcurl: cannot create a handle");
}

ClickHouseHttp::~ClickHouseHttp() = default;

std::string ClickHouseHttp::execute(std::string_view sql, std::string_view database) {
  return post({}, database, sql, nullptr);
}

void ClickHouseHttp::insert(std::string_view insert_sql, std::string_view database, std::string_view rows) {
  GzipStream gzip(rows);
  post(insert_sql, database, {}, &gzip);
}

namespace {

// libcurl pulls the compressed body chunk by chunk (chunked transfer encoding).
std::size_t read_gzip(char* buffer, std::size_t size, std::size_t count, void* stream) {
  try {
    return static_cast<GzipStream*>(stream)->read(buffer, size * count);
  } catch (const SoiError&) {
    return CURL_READFUNC_ABORT;  // zlib out of memory: the request fails as aborted
  }
}

int rewind_gzip(void* stream, curl_off_t offset, int origin) {
  if (offset != 0 || origin != SEEK_SET) return CURL_SEEKFUNC_CANTSEEK;
  try {
    static_cast<GzipStream*>(stream)->rewind();
    return CURL_SEEKFUNC_OK;
  } catch (const SoiError&) {
    return CURL_SEEKFUNC_FAIL;
  }
}

}  // namespace

std::string ClickHouseHttp::post(std::string_view query_in_url, std::string_view database, std::string_view body,
                                 GzipStream* gzip) {
  CURL* h = curl_->handle;
  curl_easy_reset(h);
  std::string url = server_.url + "/";
  char separator = '?';
  if (!database.empty()) {
    url += separator + std::string("database=") + escape(h, database);
    separator = '&';
  }
  if (!query_in_url.empty()) url += separator + std::string("query=") + escape(h, query_in_url);
  if (curl_->headers) curl_slist_free_all(curl_->headers);
  curl_->headers = nullptr;
  const std::string user_header = "X-ClickHouse-User: " + server_.user;
  const std::string key_header = "X-ClickHouse-Key: " + server_.password;
  curl_->headers = curl_slist_append(curl_->headers, user_header.c_str());
  if (!server_.password.empty()) curl_->headers = curl_slist_append(curl_->headers, key_header.c_str());
  curl_->headers = curl_slist_append(curl_->headers, "Content-Type: application/octet-stream");
  curl_->headers = curl_slist_append(curl_->headers, "Expect:");  // no 100-continue round trip
  if (gzip) curl_->headers = curl_slist_append(curl_->headers, "Content-Encoding: gzip");
  std::string response;
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, curl_->headers);
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  if (gzip) {
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_gzip);
    curl_easy_setopt(h, CURLOPT_READDATA, gzip);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, rewind_gzip);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, gzip);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(-1));  // chunked
  } else {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(server_.connect_timeout_seconds));
  curl_easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(server_.request_timeout_seconds));
  char curl_error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_error);
  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK)
    throw SoiError(ErrorCategory::network, "cannot reach ClickHouse at " + server_.url + ": " +
                                               redact(curl_error[0] ? curl_error : curl_easy_strerror(rc)));
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status == 200) return response;
  const ClickHouseError error = parse_clickhouse_error(status, response);
  if (error.category == ErrorCategory::auth)
    throw SoiError(ErrorCategory::auth, "ClickHouse at " + server_.url + " refused user " + server_.user +
                                            " (check the password in " + server_.password_env +
                                            "): " + redact(error.message));
  throw SoiError(ErrorCategory::storage, "ClickHouse at " + server_.url + ": " + redact(error.message));
}

}  // namespace soi
