#include "sinks/store/s3_payload_digest.hpp"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>
#include <system_error>
#include <thread>
#include <vector>

#include "utils/error.hpp"

namespace soi {
namespace {

// From this size on, the SHA-256 and the MD5 of a file range run on two threads.
constexpr std::uint64_t kTwoThreadDigest = 4u << 20;

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

// Feeds the range to every context given (nullptr ones skipped).
void digest_range(int fd, std::uint64_t offset, std::uint64_t length, const std::filesystem::path& path,
                  EVP_MD_CTX* first, EVP_MD_CTX* second) {
  // Big enough that the digests, not the system calls, set the pace; small
  // enough to stay in cache between the read and the digests.
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
    if (first) EVP_DigestUpdate(first, buffer.data(), static_cast<std::size_t>(n));
    if (second) EVP_DigestUpdate(second, buffer.data(), static_cast<std::size_t>(n));
    done += static_cast<std::uint64_t>(n);
  }
}

}  // namespace

std::string s3_checksum_sha256(std::string_view sha256_hex) {
  if (sha256_hex.size() != 64) return {};
  unsigned char digest[32];
  for (std::size_t i = 0; i < 32; ++i) {
    int byte = 0;
    for (const char c : sha256_hex.substr(2 * i, 2)) {
      int value = 0;
      if (c >= '0' && c <= '9') value = c - '0';
      else if (c >= 'a' && c <= 'f') value = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') value = c - 'A' + 10;
      else return {};
      byte = byte * 16 + value;
    }
    digest[i] = static_cast<unsigned char>(byte);
  }
  unsigned char text[4 * ((32 + 2) / 3) + 1];
  const int n = EVP_EncodeBlock(text, digest, 32);
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(n));
}

S3PayloadDigest s3_digest_bytes(std::string_view bytes, bool with_md5) {
  DigestContext sha256 = start(EVP_sha256());
  EVP_DigestUpdate(sha256.get(), bytes.data(), bytes.size());
  S3PayloadDigest digest{finish_hex(sha256.get()), ""};
  if (with_md5) {
    DigestContext md5 = start(EVP_md5());
    EVP_DigestUpdate(md5.get(), bytes.data(), bytes.size());
    digest.md5_base64 = finish_base64(md5.get());
  }
  return digest;
}

S3PayloadDigest s3_digest_file_range(int fd, std::uint64_t offset, std::uint64_t length,
                                     const std::filesystem::path& path, bool with_md5) {
  DigestContext sha256 = start(EVP_sha256());
  DigestContext md5(nullptr, &EVP_MD_CTX_free);
  if (with_md5) md5 = start(EVP_md5());
  if (!with_md5 || length < kTwoThreadDigest) {
    digest_range(fd, offset, length, path, sha256.get(), md5.get());
  } else {
    std::exception_ptr md5_failure;
    std::thread md5_thread;
    try {
      md5_thread = std::thread([&] {
        try {
          digest_range(fd, offset, length, path, md5.get(), nullptr);
        } catch (...) {
          md5_failure = std::current_exception();
        }
      });
    } catch (const std::system_error&) {  // no thread to be had: one after the other
      digest_range(fd, offset, length, path, sha256.get(), md5.get());
      return {finish_hex(sha256.get()), finish_base64(md5.get())};
    }
    try {
      digest_range(fd, offset, length, path, sha256.get(), nullptr);
    } catch (...) {
      md5_thread.join();
      throw;
    }
    md5_thread.join();
    if (md5_failure) std::rethrow_exception(md5_failure);
  }
  return {finish_hex(sha256.get()), md5 ? finish_base64(md5.get()) : std::string()};
}

std::string s3_sha256_hex(std::string_view bytes) { return s3_digest_bytes(bytes, false).sha256_hex; }

}  // namespace soi
