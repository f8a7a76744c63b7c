// A client of one S3-compatible bucket (AWS S3, MinIO, Ceph, R2, Swift's
// s3api) over libcurl, signed with libcurl's SigV4; no cloud SDK.
//
// What it guarantees:
//   - Every upload carries x-amz-content-sha256 (the signed payload hash: the
//     body's real SHA-256, which the server checks) and a checksum the server
//     checks too: x-amz-checksum-sha256 on a single PUT (the same digest, so
//     it costs nothing), Content-MD5 on a part (S3 takes a part's SHA-256
//     checksum only from an upload created with a checksum algorithm, which
//     older servers refuse). A body damaged on the way is refused, not
//     stored. The whole object's SHA-256 goes in x-amz-meta-sha256, which
//     head() returns and get_file() checks every download against.
//   - File bodies stream from the file (pread) and downloads into it: no
//     object is ever held in memory. A transfer fails when no byte moves for
//     request_timeout_seconds, not after a fixed total time.
//
// What survives a failure:
//   - put_*: the previous object. S3 makes a PUT or a completed multipart
//     upload visible whole and at once; a multipart upload that fails in any
//     way (a part, the completion, a local read) is aborted, so no parts stay
//     behind to be billed. Only an abort that fails too (the server gone) can
//     leave them, and the error says so; list_multipart_uploads() and
//     abort_multipart_upload() clean up after that or after a crash.
//   - get_file(): the target, untouched: the download goes to a temporary file
//     beside it, renamed into place once it is whole and matches its SHA-256.
//   - Failures are SoiError with a category (s3_failure.hpp: auth, config for
//     a missing bucket, network, rate_limit, server, storage) and a message
//     naming the request and url_of(key), never a credential. Network errors,
//     429, the configured 5xx and SlowDown are retried under the RetryPolicy.
//
// Threads: an S3Client may be shared by threads, and calls may overlap. Each
// request borrows its own libcurl easy handle from the client's pool (kept
// between requests so connections are reused); a multipart upload runs its
// parts on parallel_parts threads of its own, each with its own handle.
// set_sleeper() and set_upload_tamper() must not be called while a request is
// in flight.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "sinks/store/s3_credentials.hpp"
#include "sinks/store/s3_executor.hpp"
#include "sinks/store/s3_payload_digest.hpp"

namespace soi {

struct S3ClientOptions {
  std::string endpoint;  // "http://127.0.0.1:PORT" or "https://s3.amazonaws.com"
  std::string region = "us-east-1";
  std::string bucket;
  bool path_style = true;  // false: https://<bucket>.<endpoint host>/key
  RetryPolicy retry;       // attempts, backoff, Retry-After, timeouts (a file transfer fails on a stall instead)
  std::uint64_t multipart_threshold = 64ull << 20;  // a file above this goes in parts
  std::uint64_t part_size = 16ull << 20;            // S3 wants >= 5 MiB for every part but the last
  int parallel_parts = 4;
  int list_page_size = 1000;  // max-keys of each ListObjectsV2 page (1000 is S3's most)
};

struct S3ObjectInfo {
  std::string key;
  std::uint64_t bytes = 0;
  std::string etag;  // without quotes; a multipart object's ends in "-<parts>"
  std::optional<std::string> sha256;  // x-amz-meta-sha256 (not in listings)
};

// An upload begun and neither completed nor aborted.
struct S3MultipartUploadInfo {
  std::string key;
  std::string upload_id;
};

// Tests only: called with each upload request's digests before they go into
// its headers (part_number 0 for a single PUT), to corrupt one so the server
// answers BadDigest.
using S3UploadTamper = std::function<void(int part_number, S3PayloadDigest& digest)>;

class S3Client {
 public:
  S3Client(S3ClientOptions options, S3Credentials credentials);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  // Uploads a local file as `key`: one PUT up to multipart_threshold bytes,
  // else a multipart upload with parallel_parts parts in flight (aborted on any
  // failure). Returns what was stored. `known_sha256`: the file's SHA-256
  // when the caller has it (hex), so the file is not read once more to hash
  // it; a wrong one makes the server refuse the upload.
  S3ObjectInfo put_file(std::string_view key, const std::filesystem::path& file,
                        std::string_view content_type = "application/octet-stream",
                        std::string_view known_sha256 = {});
  S3ObjectInfo put_bytes(std::string_view key, std::string_view body, std::string_view content_type);
  // Downloads into `file` (replaced once the download is whole); false, with
  // `file` untouched, when there is no such key.
  bool get_file(std::string_view key, const std::filesystem::path& file);
  // nullopt when there is no such key. A HEAD answer has no body to name the
  // error, so a missing bucket reads as a missing key here; check_bucket()
  // tells them apart.
  std::optional<S3ObjectInfo> head(std::string_view key);
  // HEAD first (S3 answers a DELETE with 204 whether or not there was an
  // object): false when there was none.
  bool remove(std::string_view key);
  // Every object whose key starts with `prefix` (ListObjectsV2, all pages),
  // sorted by key.
  std::vector<S3ObjectInfo> list(std::string_view prefix);
  // HEAD of the bucket: a missing bucket is SoiError(config) naming it, refused
  // credentials SoiError(auth).
  void check_bucket();
  // endpoint + bucket + key, for messages; never a credential.
  std::string url_of(std::string_view key) const;

  // Multipart uploads in progress under `prefix` (left by a crashed writer).
  std::vector<S3MultipartUploadInfo> list_multipart_uploads(std::string_view prefix);
  // Aborts one, dropping its parts; an upload already gone is not an error.
  void abort_multipart_upload(std::string_view key, std::string_view upload_id);

  const S3ClientOptions& options() const { return options_; }
  S3ClientStats stats() const { return executor_.stats(); }
  // Replaces the wait between attempts (tests).
  void set_sleeper(std::function<void(std::chrono::milliseconds)> sleeper);
  void set_upload_tamper(S3UploadTamper tamper) { tamper_ = std::move(tamper); }

 private:
  S3ObjectInfo put_single(std::string_view key, int fd, std::uint64_t size, const std::filesystem::path& file,
                          std::string_view content_type, std::string_view known_sha256);
  // A whole object's headers: Content-Type, its digests and x-amz-meta-sha256.
  std::vector<std::string> single_put_headers(std::string_view content_type, S3PayloadDigest digest) const;

  S3ClientOptions options_;
  S3Executor executor_;
  S3UploadTamper tamper_;
};

}  // namespace soi
