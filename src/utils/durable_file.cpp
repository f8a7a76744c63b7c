#include "utils/durable_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "utils/error.hpp"

namespace soi {
namespace {

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path, int err) {
  throw SoiError(ErrorCategory::storage, what + " " + path.string() + ": " + std::strerror(err));
}

}  // namespace

void fsync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("cannot open directory", dir, errno);
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    // Some filesystems (e.g. certain network mounts) refuse directory fsync;
    // the rename itself already happened, so that is not a failure.
    if (err == EINVAL || err == ENOTSUP) return;
    fail("cannot fsync directory", dir, err);
  }
  ::close(fd);
}

void append_line_durably(const std::filesystem::path& path, std::string_view line) {
  if (path.has_parent_path()) create_directories_or_throw(path.parent_path());
  std::string buffer;
  buffer.reserve(line.size() + 1);
  buffer.append(line);
  buffer.push_back('\n');
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot open", path, errno);
  std::size_t done = 0;
  while (done < buffer.size()) {
    const ssize_t n = ::write(fd, buffer.data() + done, buffer.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      fail("cannot append to", path, err);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    fail("cannot fsync", path, err);
  }
  ::close(fd);
}

bool create_directories_or_throw(const std::filesystem::path& dir) {
  std::error_code ec;
  const bool created = std::filesystem::create_directories(dir, ec);
  if (ec) throw SoiError(ErrorCategory::storage, "cannot create directory " + dir.string() + ": " + ec.message());
  return created;
}

bool create_directories_durably(const std::filesystem::path& dir) {
  // The directories that do not exist yet, deepest first. An error while
  // looking counts as "exists": create_directories reports it if it matters.
  std::vector<std::filesystem::path> missing;
  for (std::filesystem::path p = dir; !p.empty(); p = p.parent_path()) {
    std::error_code ec;
    if (std::filesystem::exists(p, ec) || ec) break;
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  if (!create_directories_or_throw(dir)) return false;
  for (const auto& created : missing) {
    const std::filesystem::path parent = created.parent_path();
    fsync_directory(parent.empty() ? std::filesystem::path(".") : parent);
  }
  return true;
}

}  // namespace soi
