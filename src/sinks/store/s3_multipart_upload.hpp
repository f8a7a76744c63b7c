// The multipart upload of one local file: CreateMultipartUpload (with the
// object's Content-Type and x-amz-meta-sha256, the whole file's SHA-256),
// UploadPart of each range (with its SHA-256 and Content-MD5) on `parallel_parts` threads, each range read with
// pread() (digested first, then streamed) so the file is never in memory, then
// CompleteMultipartUpload. The threads digest their first parts while the
// server creates the upload.
//
// Any failure (a part refused or out of retries, a local read, the
// completion, including a completion whose 200 answer holds an <Error>) stops
// the other parts in flight and aborts the upload (DELETE ?uploadId=), so the
// server keeps no parts; the first failure is what is thrown, with a note when
// the abort failed too.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "sinks/store/s3_client.hpp"
#include "sinks/store/s3_executor.hpp"

namespace soi {

struct S3MultipartSource {
  int fd = -1;  // read with pread() only: threads share it
  std::uint64_t size = 0;
  std::filesystem::path path;  // for messages
  std::string sha256_hex;       // the whole file's, when known; else it is computed
};

// S3 numbers parts 1..10000: the part size grows past `part_size` when the
// file would need more.
inline constexpr std::uint64_t kS3MaxParts = 10000;

S3ObjectInfo s3_multipart_upload(S3Executor& executor, std::string_view key, const S3MultipartSource& source,
                                 std::string_view content_type, std::uint64_t part_size, int parallel_parts,
                                 const S3UploadTamper& tamper);

}  // namespace soi
