// One soi writer per data directory. Two streams (or a stream and a backfill)
// writing the same partitions would replace each other's days, so a writing
// command holds <data_dir>/state/soi.lock for its whole lifetime.
//
// The lock is flock(LOCK_EX | LOCK_NB) on that file: the kernel drops it when
// the process dies, however it dies, so a lock file left by a crashed process
// is simply taken over - no pid guessing decides ownership. The holder's pid,
// command and start time are written into the file only so that a refused
// second process, `soi status` and `soi stop` can say who holds it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace soi {

struct LockInfo {
  long pid = 0;
  std::string command;          // e.g. "stream"
  std::int64_t started_ms = 0;  // UTC ms
  bool alive = false;           // read_lock_info: the pid exists (kill(pid, 0)) on this host
};

// <data_dir>/state/soi.lock
std::string process_lock_path(const std::string& data_dir);

class ProcessLock {
 public:
  // Creates <data_dir>/state/ if needed and takes the lock.
  // Throws SoiError(config) "data directory <dir> is in use by soi pid N (stream, started ...)"
  // when another process holds it, SoiError(storage) when the file cannot be opened or written.
  static ProcessLock acquire(const std::string& data_dir, std::string_view command, std::int64_t started_ms);

  ProcessLock(ProcessLock&& other) noexcept;
  ProcessLock& operator=(ProcessLock&& other) noexcept;
  ProcessLock(const ProcessLock&) = delete;
  ProcessLock& operator=(const ProcessLock&) = delete;
  ~ProcessLock();  // release()

  // Closes the descriptor, which drops the lock. The file stays (its content is then
  // stale and harmless: the next holder overwrites it). Idempotent.
  void release() noexcept;
  bool held() const noexcept { return fd_ >= 0; }
  const std::string& path() const noexcept { return path_; }
  const LockInfo& info() const noexcept { return info_; }

 private:
  ProcessLock(int fd, std::string path, LockInfo info) : fd_(fd), path_(std::move(path)), info_(std::move(info)) {}

  int fd_ = -1;
  std::string path_;
  LockInfo info_;
};

// Who holds (or last held) the lock of `data_dir`; nullopt when there is no lock file or
// it cannot be parsed. Read-only: it does not probe the flock (a probe could make a
// concurrent acquire fail), so `alive` comes from the pid - check it before signalling.
std::optional<LockInfo> read_lock_info(const std::string& data_dir);

// Whether some process holds the lock of `data_dir` now. Unlike read_lock_info
// this probes the flock (a shared lock taken and dropped at once), so a
// concurrent acquire may be refused in that instant: for `soi stop` and
// `soi recenter`, which must not signal a pid merely named by a stale file (the
// holder died and the pid was reused). Throws SoiError(storage) when an existing
// lock file cannot be opened.
bool lock_is_held(const std::string& data_dir);

}  // namespace soi
