#include "utils/process_lock.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <simdjson.h>

#include "utils/error.hpp"
#include "utils/json_text.hpp"
#include "utils/time_util.hpp"

namespace soi {
namespace {

std::optional<LockInfo> parse_lock_info(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) return std::nullopt;
  LockInfo info;
  std::int64_t pid = 0;
  std::string_view command, started;
  if (root["pid"].get_int64().get(pid) != simdjson::SUCCESS) return std::nullopt;
  info.pid = static_cast<long>(pid);
  if (root["command"].get_string().get(command) == simdjson::SUCCESS) info.command = std::string(command);
  if (root["started"].get_string().get(started) == simdjson::SUCCESS)
    info.started_ms = parse_rfc3339_ms(started).value_or(0);
  info.alive = pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
  return info;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

[[noreturn]] void storage_error(const std::string& what, const std::string& path) {
  throw SoiError(ErrorCategory::storage, fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

}  // namespace

std::string process_lock_path(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "state" / "soi.lock").string();
}

ProcessLock ProcessLock::acquire(const std::string& data_dir, std::string_view command, std::int64_t started_ms) {
  const std::string path = process_lock_path(data_dir);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) throw SoiError(ErrorCategory::storage, "cannot create " + std::filesystem::path(path).parent_path().string() +
                                                     ": " + ec.message());
  // O_CLOEXEC: a child process we might exec must not inherit (and so prolong) the lock.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) storage_error("cannot open lock file", path);
  int rc;
  do rc = ::flock(fd, LOCK_EX | LOCK_NB);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    ::close(fd);
    if (err != EWOULDBLOCK) {
      errno = err;
      storage_error("cannot lock", path);
    }
    // The holder may still be writing its details; then we can only say "another process".
    auto holder = parse_lock_info(read_all(path));
    if (!holder)
      throw SoiError(ErrorCategory::config,
                     fmt::format("data directory {} is in use by another soi process (lock {})", data_dir, path));
    throw SoiError(ErrorCategory::config,
                   fmt::format("data directory {} is in use by soi pid {} ({}, started {})", data_dir, holder->pid,
                               holder->command.empty() ? "?" : holder->command,
                               holder->started_ms ? format_ny_rfc3339(holder->started_ms) : "?"));
  }

  LockInfo info{static_cast<long>(::getpid()), std::string(command), started_ms, true};
  const std::string content = fmt::format("{{\"pid\":{},\"command\":{},\"started\":{}}}\n", info.pid,
                                          json_quote(info.command), json_quote(format_utc_iso_ms(started_ms)));
  // Rewritten in place, not via temp file + rename: a rename would swap the inode and
  // the next process would lock a different file than the one we hold. Not
  // fsynced: other processes read it from the page cache, and after a machine
  // crash the lock is free whatever the file says (an fsync of a new file cost
  // a start-up ~50 ms).
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, content.data(), content.size(), 0) != static_cast<ssize_t>(content.size())) {
    const int err = errno;
    ::close(fd);
    errno = err;
    storage_error("cannot write lock file", path);
  }
  return ProcessLock(fd, path, std::move(info));
}

ProcessLock::ProcessLock(ProcessLock&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)), info_(std::move(other.info_)) {
  other.fd_ = -1;
}

ProcessLock& ProcessLock::operator=(ProcessLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    info_ = std::move(other.info_);
    other.fd_ = -1;
  }
  return *this;
}

ProcessLock::~ProcessLock() { release(); }

void ProcessLock::release() noexcept {
  if (fd_ < 0) return;
  ::close(fd_);  // the last descriptor of the open file description: the flock goes with it
  fd_ = -1;
}

std::optional<LockInfo> read_lock_info(const std::string& data_dir) {
  const std::string path = process_lock_path(data_dir);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  return parse_lock_info(read_all(path));
}

bool lock_is_held(const std::string& data_dir) {
  const std::string path = process_lock_path(data_dir);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return false;
    storage_error("cannot open lock file", path);
  }
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // drops the probe's shared lock, if it got one
  return held;
}

}  // namespace soi
