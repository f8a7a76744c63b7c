// One HTTP exchange with an S3 endpoint over one libcurl easy handle, signed
// by libcurl (CURLOPT_AWS_SIGV4, access key and secret as CURLOPT_USERNAME and
// CURLOPT_PASSWORD: an access key may hold a ':', which CURLOPT_USERPWD would
// cut at). No retry and no judgement of the answer here: s3_executor does both.
//
// Bodies stream: a file range is read with pread() as libcurl asks for it, and
// a download goes to its descriptor with pwrite() as it arrives (hashed on the
// way), so no file is ever held in memory. Only answers that are not a
// download (XML documents, error bodies) are kept in memory.
//
// Threads: a connection is used by one thread at a time; the pool hands each
// request its own, and keeps them between requests so their TCP (and TLS)
// connections are reused.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "sinks/store/s3_credentials.hpp"

namespace soi {

struct S3HttpRequest {
  std::string method = "GET";        // GET, HEAD, PUT, POST, DELETE
  std::string url;                   // s3_request_url(): canonical path and query
  std::vector<std::string> headers;  // "Name: value"; x-amz-content-sha256 (and Content-Type) always
  // The body: `body` bytes, or `body_length` bytes of `body_fd` from
  // `body_offset`. A PUT or POST always sends one, possibly empty.
  std::string_view body;
  int body_fd = -1;
  std::uint64_t body_offset = 0;
  std::uint64_t body_length = 0;
  std::string body_file;  // the body's file, for messages
  // A 2xx answer's body goes to this descriptor from offset 0 (see
  // S3HttpResponse::downloaded); any other answer's body goes to memory.
  int download_fd = -1;
  // Set when another thread gave up on the operation: the exchange stops.
  const std::atomic<bool>* cancel = nullptr;
};

struct S3HttpResponse {
  long status = 0;         // 0: no HTTP answer (transport_error says why)
  std::string body;        // the answer when it is not a download (capped at 64 MiB)
  std::string etag;        // headers, when sent
  std::string meta_sha256;  // x-amz-meta-sha256
  std::string retry_after;
  std::optional<std::uint64_t> content_length;
  std::uint64_t downloaded = 0;  // bytes written to download_fd
  std::string download_sha256;   // their SHA-256 (hex), when something was downloaded
  std::uint64_t sent = 0;        // body bytes handed to libcurl
  std::string transport_error;   // libcurl's message when status is 0
  bool timed_out = false;
  std::string local_error;  // reading the body or writing the download failed: not the server's doing
  bool cancelled = false;
};

class S3Connection {
 public:
  // `sigv4` is libcurl's provider string, "aws:amz:<region>:s3".
  S3Connection(std::string sigv4, const S3Credentials& credentials, const RetryPolicy& timeouts);
  ~S3Connection();
  S3Connection(const S3Connection&) = delete;
  S3Connection& operator=(const S3Connection&) = delete;

  S3HttpResponse perform(const S3HttpRequest& request);

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
  std::string sigv4_;
  const S3Credentials& credentials_;
  const RetryPolicy& timeouts_;
};

// Idle connections for reuse. acquire() hands out one (a new one when none is
// idle); the lease gives it back when it goes.
class S3ConnectionPool {
 public:
  S3ConnectionPool(std::string sigv4, const S3Credentials& credentials, const RetryPolicy& timeouts);
  ~S3ConnectionPool();

  class Lease {
   public:
    Lease(S3ConnectionPool& pool, std::unique_ptr<S3Connection> connection);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    S3Connection& operator*() { return *connection_; }
    S3Connection* operator->() { return connection_.get(); }

   private:
    S3ConnectionPool& pool_;
    std::unique_ptr<S3Connection> connection_;
  };

  Lease acquire();

 private:
  std::string sigv4_;
  const S3Credentials& credentials_;
  const RetryPolicy& timeouts_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<S3Connection>> idle_;
};

}  // namespace soi
