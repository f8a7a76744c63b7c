#include "utils/file_digest.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "utils/error.hpp"

namespace soi {

FileDigest digest_file(const std::filesystem::path& path, bool sync) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw SoiError(ErrorCategory::storage, "cannot open " + path.string() + ": " + std::strerror(errno));
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    throw SoiError(ErrorCategory::storage, "openssl: cannot initialise sha256");
  // Small enough to come from the heap rather than a fresh mapping per file,
  // and not zeroed: read() fills it.
  constexpr std::size_t kBufferBytes = 64 * 1024;
  std::unique_ptr<unsigned char[]> buffer(new unsigned char[kBufferBytes]);
  FileDigest out;
  for (;;) {
    const ssize_t n = ::read(fd, buffer.get(), kBufferBytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SoiError(ErrorCategory::storage, "cannot read " + path.string() + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buffer.get(), static_cast<std::size_t>(n));
    out.bytes += static_cast<std::uint64_t>(n);
  }
  if (sync && ::fsync(fd) != 0)
    throw SoiError(ErrorCategory::storage, "cannot fsync " + path.string() + ": " + std::strerror(errno));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  out.sha256.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.sha256 += kHex[digest[i] >> 4];
    out.sha256 += kHex[digest[i] & 0xF];
  }
  return out;
}

std::string sha256_file_hex(const std::filesystem::path& path) { return digest_file(path, false).sha256; }

}  // namespace soi
