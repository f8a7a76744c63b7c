#include "utils/process_lock.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "utils/error.hpp"

namespace soi {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kStarted = 1'737'124'200'000;  // 2025-01-17T14:30:00Z

class ProcessLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("soi-process-lock-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string data_dir() const { return dir_.string(); }

  fs::path dir_;
};

struct ChildResult {
  bool acquired = false;
  std::string message;  // the SoiError text when refused
  std::string category;
};

// Tries the lock in another process (flock is per open file, so the test needs a real second
// process): the child reports through a pipe and exits without running any destructor.
ChildResult acquire_in_child(const std::string& data_dir) {
  int fds[2];
  if (::pipe(fds) != 0) ADD_FAILURE() << "pipe";
  pid_t child = ::fork();
  if (child == 0) {
    ::close(fds[0]);
    std::string out;
    try {
      ProcessLock lock = ProcessLock::acquire(data_dir, "backfill", kStarted);
      out = "acquired";
    } catch (const SoiError& e) {
      out = std::string(to_string(e.category())) + "\n" + e.message();
    }
    (void)!::write(fds[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string text;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ChildResult r;
  if (text == "acquired") {
    r.acquired = true;
  } else if (auto nl = text.find('\n'); nl != std::string::npos) {
    r.category = text.substr(0, nl);
    r.message = text.substr(nl + 1);
  }
  return r;
}

TEST_F(ProcessLockTest, SecondProcessIsRefusedWithTheHoldersPid) {
  ProcessLock lock = ProcessLock::acquire(data_dir(), "stream", kStarted);
  EXPECT_TRUE(lock.held());
  EXPECT_EQ(lock.path(), (dir_ / "state" / "soi.lock").string());
  ChildResult child = acquire_in_child(data_dir());
  EXPECT_FALSE(child.acquired);
  EXPECT_EQ(child.category, "config");
  const std::string expected =
      "data directory " + data_dir() + " is in use by soi pid " + std::to_string(::getpid()) + " (stream, started ";
  EXPECT_EQ(child.message.rfind(expected, 0), 0u) << child.message;
  EXPECT_NE(child.message.find("2025-01-17T09:30:00-05:00"), std::string::npos) << child.message;
}

TEST_F(ProcessLockTest, ReleasedOnCloseAndOnDestruction) {
  {
    ProcessLock lock = ProcessLock::acquire(data_dir(), "stream", kStarted);
    lock.release();
    EXPECT_FALSE(lock.held());
    EXPECT_TRUE(acquire_in_child(data_dir()).acquired);
  }
  {
    ProcessLock lock = ProcessLock::acquire(data_dir(), "stream", kStarted);
    ProcessLock moved = std::move(lock);  // ownership moves, the lock stays held
    EXPECT_FALSE(lock.held());
    EXPECT_FALSE(acquire_in_child(data_dir()).acquired);
  }
  EXPECT_TRUE(acquire_in_child(data_dir()).acquired);
}

TEST_F(ProcessLockTest, StaleFileFromADeadProcessIsTakenOver) {
  // A lock file left behind by a crashed soi: its pid is gone and nobody holds the flock.
  pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  fs::create_directories(dir_ / "state");
  std::ofstream(dir_ / "state" / "soi.lock")
      << R"({"pid":)" << dead << R"(,"command":"stream","started":"2025-01-16T14:30:00.000Z"})";
  auto before = read_lock_info(data_dir());
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(before->pid, static_cast<long>(dead));
  EXPECT_FALSE(before->alive);

  ProcessLock lock = ProcessLock::acquire(data_dir(), "stream", kStarted);
  auto after = read_lock_info(data_dir());
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->pid, static_cast<long>(::getpid()));
  EXPECT_EQ(after->command, "stream");
  EXPECT_EQ(after->started_ms, kStarted);
  EXPECT_TRUE(after->alive);
}

TEST_F(ProcessLockTest, ReadLockInfoWithoutAFile) {
  EXPECT_FALSE(read_lock_info(data_dir()).has_value());
}

TEST_F(ProcessLockTest, LockIsHeldProbesTheFlockNotThePid) {
  EXPECT_FALSE(lock_is_held(data_dir()));  // no file
  {
    ProcessLock lock = ProcessLock::acquire(data_dir(), "stream", kStarted);
    EXPECT_TRUE(lock_is_held(data_dir()));  // a probe on its own descriptor conflicts even in the holder
    EXPECT_TRUE(lock.held());               // and leaves the lock as it was
    EXPECT_FALSE(acquire_in_child(data_dir()).acquired);
  }
  // The file still names this (live) process, but nobody holds the flock.
  ASSERT_TRUE(read_lock_info(data_dir()).has_value());
  EXPECT_TRUE(read_lock_info(data_dir())->alive);
  EXPECT_FALSE(lock_is_held(data_dir()));
  EXPECT_TRUE(acquire_in_child(data_dir()).acquired);  // the probe left nothing behind
}

}  // namespace
}  // namespace soi
