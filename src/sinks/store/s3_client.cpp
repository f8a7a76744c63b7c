#include "sinks/store/s3_client.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "sinks/store/s3_encoding.hpp"
#include "sinks/store/s3_multipart_upload.hpp"
#include "sinks/store/s3_payload_digest.hpp"
#include "sinks/store/s3_xml.hpp"
#include "utils/error.hpp"

namespace soi {
namespace fs = std::filesystem;

namespace {

const std::string kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
// S3 takes a single PUT of at most 5 GiB.
constexpr std::uint64_t kMaxSinglePut = 5ull << 30;

struct FileDescriptor {
  int fd = -1;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

[[noreturn]] void fail_storage(const std::string& what) { throw SoiError(ErrorCategory::storage, what); }

void require_key(std::string_view key, const char* operation) {
  if (key.empty()) fail_storage(std::string(operation) + ": an object key must not be empty");
}

S3HttpRequest bodiless(const char* method, std::string url) {
  S3HttpRequest request;
  request.method = method;
  request.url = std::move(url);
  request.headers = {"x-amz-content-sha256: " + kEmptySha256};
  return request;
}

// A caller's SHA-256 in the form the headers need; "" (so the file is
// hashed) when it is not 64 hex digits.
std::string usable_sha256(std::string_view known_sha256) {
  if (s3_checksum_sha256(known_sha256).empty()) return {};
  std::string hex(known_sha256);
  std::transform(hex.begin(), hex.end(), hex.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return hex;
}

S3ObjectInfo info_of(std::string_view key, const S3HttpResponse& response, std::uint64_t bytes) {
  S3ObjectInfo info{std::string(key), bytes, unquote_etag(response.etag), std::nullopt};
  if (!response.meta_sha256.empty()) info.sha256 = response.meta_sha256;
  return info;
}

}  // namespace

S3Client::S3Client(S3ClientOptions options, S3Credentials credentials)
    : options_(std::move(options)),
      executor_(options_.endpoint, options_.region, options_.bucket,
                s3_bucket_url(options_.endpoint, options_.bucket, options_.path_style), std::move(credentials),
                options_.retry) {
  if (options_.endpoint.find("://") == std::string::npos)
    throw SoiError(ErrorCategory::config, "object store endpoint '" + options_.endpoint +
                                              "' is not a URL (http://host:port or https://host)");
  if (options_.bucket.empty()) throw SoiError(ErrorCategory::config, "object store: no bucket given");
}

S3Client::~S3Client() = default;

std::string S3Client::url_of(std::string_view key) const { return executor_.url_of(key); }

void S3Client::set_sleeper(std::function<void(std::chrono::milliseconds)> sleeper) {
  executor_.set_sleeper(std::move(sleeper));
}

S3ObjectInfo S3Client::put_file(std::string_view key, const fs::path& file, std::string_view content_type,
                                std::string_view known_sha256) {
  require_key(key, "PUT");
  FileDescriptor source{::open(file.c_str(), O_RDONLY | O_CLOEXEC)};
  if (source.fd < 0) fail_storage("cannot open " + file.string() + " to upload it: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(source.fd, &st) != 0) fail_storage("cannot stat " + file.string() + ": " + std::strerror(errno));
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size <= options_.multipart_threshold && size <= kMaxSinglePut)
    return put_single(key, source.fd, size, file, content_type, known_sha256);
  const S3MultipartSource multipart{source.fd, size, file, usable_sha256(known_sha256)};
  return s3_multipart_upload(executor_, key, multipart, content_type, options_.part_size, options_.parallel_parts,
                             tamper_);
}

std::vector<std::string> S3Client::single_put_headers(std::string_view content_type, S3PayloadDigest digest) const {
  const std::string object_sha256 = digest.sha256_hex;
  if (tamper_) tamper_(0, digest);
  return {"Content-Type: " + std::string(content_type), "x-amz-content-sha256: " + digest.sha256_hex,
          "x-amz-checksum-sha256: " + s3_checksum_sha256(digest.sha256_hex), "x-amz-meta-sha256: " + object_sha256};
}

S3ObjectInfo S3Client::put_single(std::string_view key, int fd, std::uint64_t size, const fs::path& file,
                                  std::string_view content_type, std::string_view known_sha256) {
  // Without a known hash the file is read twice: once to hash it (the hash
  // is a header, sent before the body), once (from the page cache) to send
  // it. It is never held in memory.
  S3PayloadDigest digest{usable_sha256(known_sha256), ""};
  if (digest.sha256_hex.empty()) digest = s3_digest_file_range(fd, 0, size, file, false);
  S3HttpRequest request;
  request.method = "PUT";
  request.url = s3_request_url(executor_.bucket_url(), key);
  request.headers = single_put_headers(content_type, digest);
  request.body_fd = fd;
  request.body_length = size;
  request.body_file = file.string();
  const S3HttpResponse response = executor_.execute(request, {"PUT", std::string(key)});
  return S3ObjectInfo{std::string(key), size, unquote_etag(response.etag), digest.sha256_hex};
}

S3ObjectInfo S3Client::put_bytes(std::string_view key, std::string_view body, std::string_view content_type) {
  require_key(key, "PUT");
  S3PayloadDigest digest = s3_digest_bytes(body, false);
  S3HttpRequest request;
  request.method = "PUT";
  request.url = s3_request_url(executor_.bucket_url(), key);
  request.headers = single_put_headers(content_type, digest);
  request.body = body;
  const S3HttpResponse response = executor_.execute(request, {"PUT", std::string(key)});
  return S3ObjectInfo{std::string(key), body.size(), unquote_etag(response.etag), digest.sha256_hex};
}

bool S3Client::get_file(std::string_view key, const fs::path& file) {
  require_key(key, "GET");
  static std::atomic<std::uint64_t> counter{0};
  const fs::path temporary =
      file.parent_path() / ("." + file.filename().string() + ".download-" + std::to_string(::getpid()) + "-" +
                            std::to_string(counter.fetch_add(1) + 1));
  FileDescriptor target{::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
  if (target.fd < 0) fail_storage("cannot create " + temporary.string() + ": " + std::strerror(errno));
  struct RemoveUnlessKept {
    const fs::path& path;
    bool keep = false;
    ~RemoveUnlessKept() {
      std::error_code ignored;
      if (!keep) fs::remove(path, ignored);
    }
  } cleanup{temporary};

  S3HttpRequest request = bodiless("GET", s3_request_url(executor_.bucket_url(), key));
  request.download_fd = target.fd;
  const S3HttpResponse response = executor_.execute(request, {"GET", std::string(key), false, true});
  if (response.status == 404) return false;

  const std::string got = response.downloaded ? response.download_sha256 : kEmptySha256;
  if (response.content_length && *response.content_length != response.downloaded)
    fail_storage("GET " + url_of(key) + ": " + std::to_string(response.downloaded) + " bytes arrived of " +
                 std::to_string(*response.content_length));
  if (!response.meta_sha256.empty() && response.meta_sha256 != got)
    fail_storage("GET " + url_of(key) + ": the download's SHA-256 " + got + " is not the object's " +
                 response.meta_sha256 + " (x-amz-meta-sha256)");
  if (::close(target.fd) != 0) {
    target.fd = -1;
    fail_storage("cannot write " + temporary.string() + ": " + std::strerror(errno));
  }
  target.fd = -1;
  if (::rename(temporary.c_str(), file.c_str()) != 0)
    fail_storage("cannot rename " + temporary.string() + " to " + file.string() + ": " + std::strerror(errno));
  cleanup.keep = true;
  return true;
}

std::optional<S3ObjectInfo> S3Client::head(std::string_view key) {
  require_key(key, "HEAD");
  const S3HttpResponse response =
      executor_.execute(bodiless("HEAD", s3_request_url(executor_.bucket_url(), key)), {"HEAD", std::string(key), false, true});
  if (response.status == 404) return std::nullopt;
  return info_of(key, response, response.content_length.value_or(0));
}

bool S3Client::remove(std::string_view key) {
  if (!head(key)) return false;
  executor_.execute(bodiless("DELETE", s3_request_url(executor_.bucket_url(), key)),
                    {"DELETE", std::string(key), false, true});
  return true;
}

std::vector<S3ObjectInfo> S3Client::list(std::string_view prefix) {
  std::vector<S3ObjectInfo> objects;
  std::string token;
  for (;;) {
    S3Query query = {{"list-type", "2"}, {"max-keys", std::to_string(std::max(1, options_.list_page_size))}};
    if (!prefix.empty()) query.emplace_back("prefix", std::string(prefix));
    if (!token.empty()) query.emplace_back("continuation-token", token);
    const S3HttpResponse response =
        executor_.execute(bodiless("GET", s3_request_url(executor_.bucket_url(), "", query)), {"ListObjectsV2", ""});
    S3ListPage page = parse_s3_list_page(response.body);
    for (S3ListedObject& object : page.objects)
      objects.push_back(S3ObjectInfo{std::move(object.key), object.bytes, std::move(object.etag), std::nullopt});
    if (!page.truncated) break;
    if (page.next_continuation_token.empty() || page.next_continuation_token == token)
      throw SoiError(ErrorCategory::parse,
                     "ListObjectsV2 " + url_of("") + ": a truncated page without a new continuation token");
    token = std::move(page.next_continuation_token);
  }
  std::sort(objects.begin(), objects.end(), [](const S3ObjectInfo& a, const S3ObjectInfo& b) { return a.key < b.key; });
  return objects;
}

void S3Client::check_bucket() {
  const S3HttpResponse response =
      executor_.execute(bodiless("HEAD", s3_request_url(executor_.bucket_url(), "")), {"HEAD", "", false, true});
  if (response.status == 404) {
    // A HEAD's answer has no body to name the error: a missing bucket is the only 404 here.
    S3Judgement judgement;
    judgement.verdict = S3Verdict::fail;
    judgement.category = ErrorCategory::config;
    judgement.detail = "HTTP 404 NoSuchBucket";
    judgement.http_status = 404;
    const S3Credentials& credentials = executor_.credentials();
    throw s3_error(judgement,
                   {"HEAD", url_of(""), options_.bucket, options_.endpoint, credentials.access_key_id,
                    !credentials.session_token.empty()},
                   1);
  }
}

std::vector<S3MultipartUploadInfo> S3Client::list_multipart_uploads(std::string_view prefix) {
  std::vector<S3MultipartUploadInfo> uploads;
  std::string key_marker;
  std::string upload_id_marker;
  for (;;) {
    S3Query query = {{"uploads", ""}};
    if (!prefix.empty()) query.emplace_back("prefix", std::string(prefix));
    if (!key_marker.empty()) query.emplace_back("key-marker", key_marker);
    if (!upload_id_marker.empty()) query.emplace_back("upload-id-marker", upload_id_marker);
    const S3HttpResponse response = executor_.execute(
        bodiless("GET", s3_request_url(executor_.bucket_url(), "", query)), {"ListMultipartUploads", ""});
    S3UploadsPage page = parse_s3_uploads_page(response.body);
    for (S3ListedUpload& upload : page.uploads)
      uploads.push_back({std::move(upload.key), std::move(upload.upload_id)});
    if (!page.truncated) break;
    if (page.next_key_marker.empty() ||
        (page.next_key_marker == key_marker && page.next_upload_id_marker == upload_id_marker))
      throw SoiError(ErrorCategory::parse, "ListMultipartUploads " + url_of("") + ": a truncated page without markers");
    key_marker = std::move(page.next_key_marker);
    upload_id_marker = std::move(page.next_upload_id_marker);
  }
  return uploads;
}

void S3Client::abort_multipart_upload(std::string_view key, std::string_view upload_id) {
  require_key(key, "AbortMultipartUpload");
  executor_.execute(
      bodiless("DELETE", s3_request_url(executor_.bucket_url(), key, {{"uploadId", std::string(upload_id)}})),
      {"AbortMultipartUpload", std::string(key), false, true});
}

}  // namespace soi
