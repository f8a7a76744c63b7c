// Test harness for integration tests: run the real soi binary, start
// `soi simulate` on an ephemeral loopback port, temp directories, file scans.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace soi::it {

struct ProcessResult {
  int exit_code = -1;  // 128+signal when killed
  std::string out;
  std::string err;
};

using Env = std::map<std::string, std::string>;

// Runs `soi args...` in `cwd` with a clean environment (no API keys, no SOI_*
// variables from the caller) plus `env`. Kills it after timeout_seconds.
ProcessResult run_soi(const std::vector<std::string>& args, const Env& env, const std::filesystem::path& cwd,
                      int timeout_seconds = 180);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// `soi args...` started in the background (same clean environment as
// run_soi); SIGKILLed by the destructor if it is still running.
class BackgroundSoi {
 public:
  BackgroundSoi(const std::vector<std::string>& args, const Env& env, const std::filesystem::path& cwd);
  ~BackgroundSoi();
  BackgroundSoi(const BackgroundSoi&) = delete;
  BackgroundSoi& operator=(const BackgroundSoi&) = delete;

  int pid() const { return pid_; }
  // True until the process has exited (it is reaped here).
  bool running();
  void signal(int sig);
  // Waits for the exit (SIGKILL after timeout_seconds): exit code, stdout and stderr.
  ProcessResult wait(int timeout_seconds = 180);
  // What it has written so far.
  std::string out_so_far() const;
  std::string err_so_far() const;

 private:
  TempDir io_;
  int pid_ = -1;
  int exit_code_ = -1;
  bool reaped_ = false;
};

// `soi simulate --port 0 --port-file ...` in the background; stopped (SIGTERM)
// by the destructor.
class SimulatorProcess {
 public:
  explicit SimulatorProcess(const std::vector<std::string>& extra_args = {}, const Env& env = {});
  ~SimulatorProcess();
  SimulatorProcess(const SimulatorProcess&) = delete;
  SimulatorProcess& operator=(const SimulatorProcess&) = delete;

  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Stops the simulator and returns its exit code.
  int stop();
  // SIGKILL, for a test that has what it needs and does not want to wait for a graceful stop.
  void kill_now();
  std::string stderr_text() const;

 private:
  TempDir dir_;
  int pid_ = -1;
  int port_ = 0;
};

std::string read_file(const std::filesystem::path& path);
std::vector<std::filesystem::path> files_under(const std::filesystem::path& dir);
// Every file under dir whose bytes contain needle.
std::vector<std::filesystem::path> files_containing(const std::filesystem::path& dir, const std::string& needle);

// GET base_url + path with a test key through soi's own REST client; the body.
std::string http_get(const std::string& base_url, const std::string& path);

// Runs a DuckDB query in-process and returns the first cell as text.
std::string duckdb_scalar(const std::string& sql);

// The repository's config directory.
std::string config_dir();

}  // namespace soi::it
