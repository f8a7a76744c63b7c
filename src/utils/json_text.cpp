#include "utils/json_text.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "utils/durable_file.hpp"
#include "utils/error.hpp"

namespace soi {

void append_json_quoted(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t plain_from = 0;  // characters from here on need no escape: appended as one run
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;  // UTF-8 passes through untouched
    out.append(text.data() + plain_from, i - plain_from);
    plain_from = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
  }
  out.append(text.data() + plain_from, text.size() - plain_from);
  out += '"';
}

std::string json_quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  append_json_quoted(out, text);
  return out;
}

void write_file_atomically(const std::string& path, std::string_view content) {
  namespace fs = std::filesystem;
  fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  fs::path tmp = target.parent_path() / ("." + target.filename().string() + ".tmp");
  // A failed write (a full disk) removes its temporary file and leaves the
  // previous content in place; the error names the file being written.
  const auto fail = [&](int fd, int err) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw SoiError(ErrorCategory::storage, "cannot write " + path + " (via " + tmp.filename().string() +
                                               "): " + std::strerror(err));
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw SoiError(ErrorCategory::storage, "cannot write " + path + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(fd, errno);
    }
    done += static_cast<size_t>(n);
  }
  // Data that never reached the disk must not replace the previous file.
  if (::fsync(fd) != 0 && errno != EINVAL) fail(fd, errno);
  ::close(fd);
  if (::rename(tmp.c_str(), target.c_str()) != 0) fail(-1, errno);
  // The rename is durable only once the directory entry is.
  fsync_directory(target.has_parent_path() ? target.parent_path() : fs::path("."));
}

}  // namespace soi
