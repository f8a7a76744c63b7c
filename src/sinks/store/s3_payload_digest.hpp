// The two digests every S3 request body is sent with: the hex SHA-256 that
// SigV4 signs (x-amz-content-sha256) and the base64 MD5 the server checks the
// received body against (Content-MD5), so a body damaged on the way is refused
// (400 BadDigest) rather than stored. Both are computed in one read of the
// bytes; a file range is read with pread(), so parts of one file can be
// digested by several threads at once through one descriptor.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace soi {

struct S3PayloadDigest {
  std::string sha256_hex;  // lower-case
  std::string md5_base64;
};

S3PayloadDigest s3_digest_bytes(std::string_view bytes);
// `length` bytes of `fd` from `offset`. Throws SoiError(storage) naming `path`
// when the read fails or the file is shorter.
S3PayloadDigest s3_digest_file_range(int fd, std::uint64_t offset, std::uint64_t length,
                                     const std::filesystem::path& path);

// The hex SHA-256 of `bytes` (the payload hash of a request without a body is
// that of "").
std::string s3_sha256_hex(std::string_view bytes);

}  // namespace soi
