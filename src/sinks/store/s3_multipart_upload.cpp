#include "sinks/store/s3_multipart_upload.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <future>
#include <system_error>
#include <mutex>
#include <thread>
#include <vector>

#include "sinks/store/s3_encoding.hpp"
#include "sinks/store/s3_payload_digest.hpp"
#include "sinks/store/s3_xml.hpp"
#include "utils/error.hpp"

namespace soi {
namespace {

const std::string kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// The parts' work: `threads` workers take part numbers from a shared counter,
// digest their range and, once the upload exists, send it. Digesting needs no
// upload ID, so the first parts are digested while the caller creates the
// upload. The first failure is kept and stops everyone (the exchanges in
// flight included).
class PartUploads {
 public:
  PartUploads(S3Executor& executor, std::string_view key, const S3MultipartSource& source,
              std::shared_future<std::string> upload_id, std::uint64_t part_size, const S3UploadTamper& tamper)
      : executor_(executor),
        key_(key),
        source_(source),
        upload_id_(std::move(upload_id)),
        part_size_(part_size),
        part_count_(static_cast<int>((source.size + part_size - 1) / part_size)),
        tamper_(tamper),
        etags_(static_cast<std::size_t>(part_count_)) {}
  ~PartUploads() { join(); }

  int part_count() const { return part_count_; }

  void start(int threads) {
    try {
      for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
    } catch (const std::system_error& e) {  // fewer threads than asked for: those started do the work
      if (workers_.empty())
        record_failure(std::make_exception_ptr(
            SoiError(ErrorCategory::storage, "cannot start an upload thread: " + std::string(e.what()))));
    }
  }
  void stop() { stop_.store(true); }
  void join() {
    for (std::thread& worker : workers_)
      if (worker.joinable()) worker.join();
  }

  std::exception_ptr failure() const { return failure_; }

  std::vector<S3CompletedPart> completed_parts() const {
    std::vector<S3CompletedPart> parts;
    for (int n = 1; n <= part_count_; ++n) parts.push_back({n, etags_[static_cast<std::size_t>(n - 1)]});
    return parts;
  }

 private:
  void work() {
    for (;;) {
      const int number = next_.fetch_add(1);
      if (number > part_count_ || stop_.load()) return;
      try {
        etags_[static_cast<std::size_t>(number - 1)] = upload_part(number);
      } catch (...) {
        // The upload was never created: the caller reports why.
        if (!stop_.load()) record_failure(std::current_exception());
        return;
      }
    }
  }

  std::string upload_part(int number) {
    const std::uint64_t offset = static_cast<std::uint64_t>(number - 1) * part_size_;
    const std::uint64_t length = std::min(part_size_, source_.size - offset);
    S3PayloadDigest digest = s3_digest_file_range(source_.fd, offset, length, source_.path, true);
    const std::string& upload_id = upload_id_.get();  // throws when the upload could not be created
    if (stop_.load()) return {};
    S3HttpRequest request;
    request.method = "PUT";
    request.url = s3_request_url(executor_.bucket_url(), key_,
                                 {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}});
    if (tamper_) tamper_(number, digest);
    request.headers = {"x-amz-content-sha256: " + digest.sha256_hex, "Content-Type: application/octet-stream",
                       "Content-MD5: " + digest.md5_base64};
    request.body_fd = source_.fd;
    request.body_offset = offset;
    request.body_length = length;
    request.body_file = source_.path.string();
    request.cancel = &stop_;
    const S3HttpResponse response = executor_.execute(request, {"UploadPart " + std::to_string(number), key_});
    if (response.etag.empty())
      throw SoiError(ErrorCategory::storage, "UploadPart " + std::to_string(number) + " " + executor_.url_of(key_) +
                                                 ": the answer has no ETag");
    return response.etag;
  }

  void record_failure(std::exception_ptr failure) {
    std::lock_guard lock(mutex_);
    if (!failure_) failure_ = std::move(failure);
    stop_.store(true);
  }

  S3Executor& executor_;
  std::string key_;
  const S3MultipartSource& source_;
  std::shared_future<std::string> upload_id_;
  std::uint64_t part_size_;
  int part_count_;
  const S3UploadTamper& tamper_;
  std::vector<std::string> etags_;  // each written by the one thread that uploaded its part
  std::vector<std::thread> workers_;
  std::atomic<int> next_{1};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::exception_ptr failure_;
};

std::string create_upload(S3Executor& executor, std::string_view key, const std::string& sha256,
                          std::string_view content_type) {
  S3HttpRequest request;
  request.method = "POST";
  request.url = s3_request_url(executor.bucket_url(), key, {{"uploads", ""}});
  request.headers = {"Content-Type: " + std::string(content_type), "x-amz-meta-sha256: " + sha256,
                     "x-amz-content-sha256: " + kEmptySha256};
  const S3HttpResponse response = executor.execute(request, {"CreateMultipartUpload", std::string(key)});
  std::string upload_id = xml_element_text(response.body, "UploadId").value_or("");
  if (upload_id.empty())
    throw SoiError(ErrorCategory::parse,
                   "CreateMultipartUpload " + executor.url_of(key) + ": the answer holds no UploadId");
  return upload_id;
}

// The object's ETag.
std::string complete_upload(S3Executor& executor, std::string_view key, const std::string& upload_id,
                            const std::vector<S3CompletedPart>& parts) {
  const std::string body = s3_complete_multipart_body(parts);
  const S3PayloadDigest digest = s3_digest_bytes(body);
  S3HttpRequest request;
  request.method = "POST";
  request.url = s3_request_url(executor.bucket_url(), key, {{"uploadId", upload_id}});
  request.headers = {"Content-Type: application/xml", "Content-MD5: " + digest.md5_base64,
                     "x-amz-content-sha256: " + digest.sha256_hex};
  request.body = body;
  // The server may answer 200 at once and report a failure in the body later.
  const S3HttpResponse response = executor.execute(request, {"CompleteMultipartUpload", std::string(key), true});
  if (xml_root_name(response.body) != "CompleteMultipartUploadResult")
    throw SoiError(ErrorCategory::parse, "CompleteMultipartUpload " + executor.url_of(key) +
                                             ": the answer is not a CompleteMultipartUploadResult document");
  return unquote_etag(xml_element_text(response.body, "ETag").value_or(""));
}

// A completion retried after a lost answer finds its upload gone (NoSuchUpload)
// although the first attempt completed it: the object then has our digest and
// one ETag suffix per part.
std::optional<std::string> completed_anyway(S3Executor& executor, std::string_view key, const std::string& sha256,
                                            int part_count) {
  S3HttpRequest request;
  request.method = "HEAD";
  request.url = s3_request_url(executor.bucket_url(), key);
  request.headers = {"x-amz-content-sha256: " + kEmptySha256};
  const S3HttpResponse response = executor.execute(request, {"HEAD", std::string(key), false, true});
  const std::string etag = unquote_etag(response.etag);
  const std::string suffix = "-" + std::to_string(part_count);
  if (response.status == 200 && response.meta_sha256 == sha256 && etag.size() > suffix.size() &&
      etag.compare(etag.size() - suffix.size(), suffix.size(), suffix) == 0)
    return etag;
  return std::nullopt;
}

void abort_upload(S3Executor& executor, std::string_view key, const std::string& upload_id) {
  S3HttpRequest request;
  request.method = "DELETE";
  request.url = s3_request_url(executor.bucket_url(), key, {{"uploadId", upload_id}});
  request.headers = {"x-amz-content-sha256: " + kEmptySha256};
  executor.execute(request, {"AbortMultipartUpload", std::string(key), false, true});
}

// The failure to throw: the original, plus what became of the upload.
[[noreturn]] void fail_after_abort(S3Executor& executor, std::string_view key, const std::string& upload_id,
                                   std::exception_ptr failure) {
  std::string abort_problem;
  try {
    abort_upload(executor, key, upload_id);
  } catch (const SoiError& e) {
    abort_problem = e.message();
  }
  try {
    std::rethrow_exception(failure);
  } catch (const SoiError& e) {
    if (abort_problem.empty()) throw;
    throw SoiError(e.category(),
                   e.message() + "; aborting the upload failed too, so its parts may remain on the server (" +
                       abort_problem + ")",
                   e.context(), e.http_status());
  } catch (const std::exception& e) {
    throw SoiError(ErrorCategory::storage,
                   "multipart upload of " + executor.url_of(key) + " failed: " + e.what() +
                       (abort_problem.empty() ? "" : "; aborting it failed too (" + abort_problem + ")"));
  }
}

}  // namespace

S3ObjectInfo s3_multipart_upload(S3Executor& executor, std::string_view key, const S3MultipartSource& source,
                                 std::string_view content_type, std::uint64_t part_size, int parallel_parts,
                                 const S3UploadTamper& tamper) {
  part_size = std::max<std::uint64_t>({part_size, 1, (source.size + kS3MaxParts - 1) / kS3MaxParts});
  // The object's SHA-256 goes in the request that creates the upload. Unless
  // the caller knows it, it is computed first, alone (the parts' digests
  // would only slow it down); the parts are digested while the server creates
  // the upload. The server checks each part, not the whole, so a known hash is
  // checked here, beside the parts, before the upload may complete.
  const bool hash_known = !source.sha256_hex.empty();
  const std::string sha256 = hash_known
                                 ? source.sha256_hex
                                 : s3_digest_file_range(source.fd, 0, source.size, source.path, false).sha256_hex;
  std::future<std::string> actual_sha256;
  if (hash_known) {
    actual_sha256 = std::async(std::launch::async, [&source] {
      return s3_digest_file_range(source.fd, 0, source.size, source.path, false).sha256_hex;
    });
  }
  std::promise<std::string> created;
  PartUploads parts(executor, key, source, created.get_future().share(), part_size, tamper);
  parts.start(std::clamp(parallel_parts, 1, std::max(1, parts.part_count())));
  std::string upload_id;
  try {
    upload_id = create_upload(executor, key, sha256, content_type);
  } catch (...) {
    parts.stop();
    created.set_exception(std::current_exception());
    parts.join();
    throw;
  }
  created.set_value(upload_id);
  parts.join();
  if (parts.failure()) fail_after_abort(executor, key, upload_id, parts.failure());
  if (hash_known) {
    std::string actual;
    try {
      actual = actual_sha256.get();
    } catch (...) {
      fail_after_abort(executor, key, upload_id, std::current_exception());
    }
    if (actual != sha256)
      fail_after_abort(executor, key, upload_id,
                       std::make_exception_ptr(SoiError(
                           ErrorCategory::storage, "multipart upload of " + executor.url_of(key) + ": " +
                                                       source.path.string() + " has the SHA-256 " + actual +
                                                       ", not the " + sha256 + " it was given; not completed")));
  }

  std::string etag;
  try {
    etag = complete_upload(executor, key, upload_id, parts.completed_parts());
  } catch (const SoiError& e) {
    const std::exception_ptr failure = std::current_exception();
    std::optional<std::string> done;
    if (e.http_status() == 404) {
      try {
        done = completed_anyway(executor, key, sha256, parts.part_count());
      } catch (const SoiError&) {
        // Unknown either way: report the completion's failure.
      }
    }
    if (!done) fail_after_abort(executor, key, upload_id, failure);
    etag = *done;
  }
  return S3ObjectInfo{std::string(key), source.size, etag, sha256};
}

}  // namespace soi
