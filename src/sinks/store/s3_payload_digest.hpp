// The digests an S3 request body is sent with: the hex SHA-256 that SigV4
// signs (x-amz-content-sha256), which the server checks the received body
// against (Swift: 400 BadDigest, AWS: XAmzContentSHA256Mismatch), and, when
// asked for, the base64 MD5 of Content-MD5, which S3 checks too (BadDigest).
// A file range is read with pread(), so parts of one file can be digested by
// several threads at once through one descriptor. On a large range the two
// digests run on two threads, each reading the (cached) range: MD5 is the
// slower one, and an upload waits for both before its first byte goes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace soi {

struct S3PayloadDigest {
  std::string sha256_hex;  // lower-case
  std::string md5_base64;  // "" when not asked for
};

S3PayloadDigest s3_digest_bytes(std::string_view bytes, bool with_md5 = true);
// `length` bytes of `fd` from `offset`. Throws SoiError(storage) naming `path`
// when the read fails or the file is shorter.
S3PayloadDigest s3_digest_file_range(int fd, std::uint64_t offset, std::uint64_t length,
                                     const std::filesystem::path& path, bool with_md5 = true);

// x-amz-checksum-sha256 of a body whose SHA-256 is `sha256_hex`: the same
// digest in base64. "" when `sha256_hex` is not 64 hex digits.
std::string s3_checksum_sha256(std::string_view sha256_hex);

// The hex SHA-256 of `bytes` (the payload hash of a request without a body is
// that of "").
std::string s3_sha256_hex(std::string_view bytes);

}  // namespace soi
