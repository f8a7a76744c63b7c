#include "sinks/store/s3_payload_digest.hpp"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "utils/error.hpp"

namespace soi {
namespace {

using DigestContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

DigestContext start(const EVP_MD* md) {
  DigestContext ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1)
    throw SoiError(ErrorCategory::storage, "openssl: cannot initialise a digest");
  return ctx;
}

std::string finish_hex(EVP_MD_CTX* ctx) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx, digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xF];
  }
  return hex;
}

std::string finish_base64(EVP_MD_CTX* ctx) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx, digest, &length);
  unsigned char text[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  const int n = EVP_EncodeBlock(text, digest, static_cast<int>(length));
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(n));
}

class PayloadDigester {
 public:
  PayloadDigester() : sha256_(start(EVP_sha256())), md5_(start(EVP_md5())) {}
  void update(const void* data, std::size_t size) {
    EVP_DigestUpdate(sha256_.get(), data, size);
    EVP_DigestUpdate(md5_.get(), data, size);
  }
  S3PayloadDigest finish() { return {finish_hex(sha256_.get()), finish_base64(md5_.get())}; }

 private:
  DigestContext sha256_;
  DigestContext md5_;
};

}  // namespace

S3PayloadDigest s3_digest_bytes(std::string_view bytes) {
  PayloadDigester digester;
  digester.update(bytes.data(), bytes.size());
  return digester.finish();
}

S3PayloadDigest s3_digest_file_range(int fd, std::uint64_t offset, std::uint64_t length,
                                     const std::filesystem::path& path) {
  PayloadDigester digester;
  // Big enough that the digests, not the system calls, set the pace; small
  // enough to stay in cache between the read and the two digests.
  std::vector<unsigned char> buffer(256 * 1024);
  std::uint64_t done = 0;
  while (done < length) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), length - done));
    const ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SoiError(ErrorCategory::storage, "cannot read " + path.string() + ": " + std::strerror(errno));
    }
    if (n == 0) throw SoiError(ErrorCategory::storage, "cannot read " + path.string() + ": it shrank while being sent");
    digester.update(buffer.data(), static_cast<std::size_t>(n));
    done += static_cast<std::uint64_t>(n);
  }
  return digester.finish();
}

std::string s3_sha256_hex(std::string_view bytes) {
  DigestContext ctx = start(EVP_sha256());
  EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size());
  return finish_hex(ctx.get());
}

}  // namespace soi
