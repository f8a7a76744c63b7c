// soi stop / soi recenter against a process holding a data directory's lock
// (a forked child of this test, so that its signals can be observed), and
// soi stream --once when the simulated market is closed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/process.hpp"
#include "utils/process_lock.hpp"
#include "utils/time_util.hpp"

namespace soi::it {
namespace {

namespace fs = std::filesystem;

// A child process that holds the lock of `data_dir` under `command`. It
// answers SIGUSR1 by creating <data_dir>/recentered and exits 0 on SIGTERM,
// unless ignore_term, where only SIGKILL ends it.
class LockHolder {
 public:
  LockHolder(const std::string& data_dir, const std::string& command, bool ignore_term = false) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      // Blocked before the lock is taken: a signal cannot arrive unhandled.
      sigprocmask(SIG_BLOCK, &set, nullptr);
      try {
        ProcessLock lock = ProcessLock::acquire(data_dir, command, now_utc_ms());
        while (true) {
          int sig = 0;
          if (sigwait(&set, &sig) != 0) _exit(3);
          if (sig == SIGUSR1) std::ofstream(data_dir + "/recentered") << "1";
          if (sig == SIGTERM && !ignore_term) _exit(0);
        }
      } catch (...) {
        _exit(2);
      }
    }
    // Reaped as soon as it exits: an unreaped zombie would still answer kill(pid, 0).
    reaper_ = std::thread([this] {
      int status = 0;
      if (::waitpid(pid_, &status, 0) == pid_) exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!(lock_is_held(data_dir) && read_lock_info(data_dir) && read_lock_info(data_dir)->pid == pid_)) {
      if (std::chrono::steady_clock::now() > deadline || exit_code_ >= 0) {
        ::kill(pid_, SIGKILL);
        reaper_.join();
        throw std::runtime_error("the child did not take the lock");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~LockHolder() {
    if (exit_code_ < 0) ::kill(pid_, SIGKILL);
    reaper_.join();
  }
  LockHolder(const LockHolder&) = delete;
  LockHolder& operator=(const LockHolder&) = delete;

  pid_t pid() const { return pid_; }
  // The child's exit code once it has exited (-1 while it runs).
  int wait_exit(int seconds = 10) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (exit_code_ < 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return exit_code_;
  }

 private:
  pid_t pid_ = -1;
  std::atomic<int> exit_code_{-1};
  std::thread reaper_;
};

class StopTest : public ::testing::Test {
 protected:
  std::string data() const { return (work_.path() / "data").string(); }
  ProcessResult soi(std::vector<std::string> args, Env env = {}) {
    args.insert(args.begin(), {"--config", config_dir()});
    env["MASSIVE_API_KEY"] = "FAKEKEY-stop-test-0000";
    return run_soi(args, env, work_.path(), 60);
  }
  TempDir work_;
};

TEST_F(StopTest, NothingRunningIsNotAnError) {
  auto r = soi({"stop", "--data-dir", data()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("nothing running on " + data()), std::string::npos) << r.out;
  // Without --data-dir: settings.yaml data_dir (./data, relative to the working directory).
  auto by_config = soi({"stop"});
  EXPECT_EQ(by_config.exit_code, 0) << by_config.err;
  EXPECT_NE(by_config.out.find("nothing running on ./data"), std::string::npos) << by_config.out;
  auto json = soi({"stop", "--data-dir", data(), "--json"});
  EXPECT_NE(json.out.find("\"result\":\"nothing_running\""), std::string::npos) << json.out;
}

TEST_F(StopTest, StopsTheLockHolderAndWaitsForIt) {
  LockHolder holder(data(), "soi stream --once (test)");
  auto r = soi({"stop", "--data-dir", data()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("stopped soi pid " + std::to_string(holder.pid()) + " (soi stream --once (test))"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(holder.wait_exit(), 0);  // it exited on its own SIGTERM path
  EXPECT_FALSE(lock_is_held(data()));
  auto again = soi({"stop", "--data-dir", data()});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("nothing running"), std::string::npos) << again.out;
}

TEST_F(StopTest, StaleLockFileNamingALivePidIsNotSignalled) {
  // The file names a live process (this test) but nobody holds the flock: a
  // holder that died and whose pid was reused must not be killed.
  { ProcessLock lock = ProcessLock::acquire(data(), "soi stream (dead)", now_utc_ms()); }
  std::string text = read_file(process_lock_path(data()));
  ASSERT_NE(text.find(std::to_string(::getpid())), std::string::npos) << text;
  auto r = soi({"stop", "--data-dir", data()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("nothing running"), std::string::npos) << r.out;
}

TEST_F(StopTest, TimesOutWhenTheHolderDoesNotExit) {
  LockHolder holder(data(), "soi stream (stubborn)", /*ignore_term=*/true);
  auto r = soi({"stop", "--data-dir", data(), "--timeout-seconds", "1"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("still running 1 s after SIGTERM"), std::string::npos) << r.err;
  EXPECT_EQ(holder.wait_exit(0), -1);  // untouched by the timeout
}

TEST_F(StopTest, RecenterSignalsOnlyAStream) {
  auto nothing = soi({"recenter", "--data-dir", data()});
  EXPECT_EQ(nothing.exit_code, 1);
  EXPECT_NE(nothing.err.find("nothing running on " + data()), std::string::npos) << nothing.err;
  {
    LockHolder backfill(data(), "/usr/bin/soi --config config backfill --source spy");
    auto refused = soi({"recenter", "--data-dir", data()});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.err.find("is not streaming"), std::string::npos) << refused.err;
    EXPECT_FALSE(fs::exists(data() + "/recentered"));
  }
  LockHolder stream(data(), "/usr/bin/soi --config config stream --data-dir " + data());
  auto r = soi({"recenter", "--data-dir", data()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!fs::exists(data() + "/recentered") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(fs::exists(data() + "/recentered"));
  EXPECT_EQ(stream.wait_exit(0), -1);  // SIGUSR1 does not end it
}

TEST_F(StopTest, StreamOnceWhenTheMarketIsClosedSaysWhenItOpens) {
  // Saturday; Monday 2025-01-20 is Martin Luther King Jr. Day.
  SimulatorProcess sim({"--start", "2025-01-18T12:00:00-05:00", "--speed", "1"});
  auto r = soi({"stream", "--data-dir", data(), "--base-url", sim.base_url(), "--ws-base-url",
                "ws://127.0.0.1:" + std::to_string(sim.port()), "--once"},
               {{"SOI_SETTINGS_STREAM_CLOCK", "server"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("market closed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("next session opens Tuesday 2025-01-21"), std::string::npos) << r.err;
  EXPECT_FALSE(lock_is_held(data()));
  EXPECT_FALSE(fs::exists(data() + "/raw"));
}

TEST_F(StopTest, BadWebSocketUrlIsAUsageError) {
  auto r = soi({"stream", "--data-dir", data(), "--ws-base-url", "http://127.0.0.1:1", "--once"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--ws-base-url"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(data())) << "a usage error must not touch the data directory";
}

TEST_F(StopTest, EveryNewCommandHasHelp) {
  for (const char* command : {"stream", "run", "stop", "recenter"}) {
    auto r = soi({command, "--help"});
    EXPECT_EQ(r.exit_code, 0) << command << ": " << r.err;
    EXPECT_NE(r.out.find("--data-dir"), std::string::npos) << command << ": " << r.out;
  }
}

}  // namespace
}  // namespace soi::it
