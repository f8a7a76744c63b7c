// SHA-256 of a file in one read, optionally fsync()ing it through the same
// descriptor: a freshly written file is hashed while its pages are still
// cached, and made durable without a second pass.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace soi {

struct FileDigest {
  std::string sha256;  // lower-case hex
  std::uint64_t bytes = 0;
};

// Throws SoiError(storage) naming the file.
FileDigest digest_file(const std::filesystem::path& path, bool sync);

// digest_file(path, false).sha256
std::string sha256_file_hex(const std::filesystem::path& path);

}  // namespace soi
