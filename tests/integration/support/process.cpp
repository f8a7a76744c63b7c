#include "support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "data_sources/rest_client.hpp"
#include "sinks/duckdb/duckdb_session.hpp"

extern char** environ;

namespace soi::it {
namespace fs = std::filesystem;
namespace {

std::vector<std::string> clean_environment(const Env& extra) {
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    std::string entry = *e;
    std::string name = entry.substr(0, entry.find('='));
    if (name == "MASSIVE_API_KEY" || name == "POLYGON_API_KEY" || name.rfind("SOI_", 0) == 0) continue;
    if (extra.count(name)) continue;
    out.push_back(entry);
  }
  for (const auto& [k, v] : extra) out.push_back(k + "=" + v);
  return out;
}

int spawn(const std::vector<std::string>& args, const Env& env, const fs::path& cwd, const fs::path& out_file,
          const fs::path& err_file) {
  std::vector<std::string> full{SOI_BINARY};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<std::string> envs = clean_environment(env);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = ::open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    if (::chdir(cwd.c_str()) != 0) _exit(126);
    std::vector<char*> argv, envp;
    for (auto& a : full) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

int wait_for(int pid, int timeout_seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  int status = 0;
  while (true) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::string config_dir() { return std::string(SOI_SOURCE_DIR) + "/config"; }

ProcessResult run_soi(const std::vector<std::string>& args, const Env& env, const fs::path& cwd, int timeout_seconds) {
  TempDir io;
  int pid = spawn(args, env, cwd, io.path() / "out", io.path() / "err");
  ProcessResult r;
  r.exit_code = wait_for(pid, timeout_seconds);
  r.out = read_file(io.path() / "out");
  r.err = read_file(io.path() / "err");
  return r;
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = fs::temp_directory_path() / ("soi-it-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

BackgroundSoi::BackgroundSoi(const std::vector<std::string>& args, const Env& env, const fs::path& cwd) {
  pid_ = spawn(args, env, cwd, io_.path() / "out", io_.path() / "err");
}

BackgroundSoi::~BackgroundSoi() {
  if (!reaped_) {
    kill(pid_, SIGKILL);
    wait_for(pid_, 20);
  }
}

bool BackgroundSoi::running() {
  if (reaped_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return true;
  reaped_ = true;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
  return false;
}

void BackgroundSoi::signal(int sig) {
  if (!reaped_) kill(pid_, sig);
}

ProcessResult BackgroundSoi::wait(int timeout_seconds) {
  if (!reaped_) {
    exit_code_ = wait_for(pid_, timeout_seconds);
    reaped_ = true;
  }
  return ProcessResult{exit_code_, out_so_far(), err_so_far()};
}

std::string BackgroundSoi::out_so_far() const { return read_file(io_.path() / "out"); }
std::string BackgroundSoi::err_so_far() const { return read_file(io_.path() / "err"); }

SimulatorProcess::SimulatorProcess(const std::vector<std::string>& extra_args, const Env& env) {
  std::vector<std::string> args{"--config", config_dir(), "simulate", "--port", "0", "--port-file",
                                (dir_.path() / "port").string()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = spawn(args, env, dir_.path(), dir_.path() / "sim.out", dir_.path() / "sim.err");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string text = read_file(dir_.path() / "port");
    if (!text.empty()) {
      port_ = std::stoi(text);
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("simulator exited early: " + stderr_text());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("simulator did not report its port: " + stderr_text());
}

int SimulatorProcess::stop() {
  if (pid_ < 0) return -1;
  kill(pid_, SIGTERM);
  int code = wait_for(pid_, 20);
  pid_ = -1;
  return code;
}

void SimulatorProcess::kill_now() {
  if (pid_ < 0) return;
  kill(pid_, SIGKILL);
  wait_for(pid_, 20);
  pid_ = -1;
}

SimulatorProcess::~SimulatorProcess() { stop(); }

std::string SimulatorProcess::stderr_text() const { return read_file(dir_.path() / "sim.err"); }

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> files_under(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(e.path());
  return out;
}

std::vector<fs::path> files_containing(const fs::path& dir, const std::string& needle) {
  std::vector<fs::path> out;
  for (const auto& f : files_under(dir))
    if (read_file(f).find(needle) != std::string::npos) out.push_back(f);
  return out;
}

std::string http_get(const std::string& base_url, const std::string& path) {
  RestClient client(base_url, "integration-test-key", RetryPolicy{});
  return client.get(path, ErrorContext{.source = "test"}).body;
}

std::string duckdb_scalar(const std::string& sql) {
  DuckDbSession session;
  auto rows = session.query(sql);
  if (rows.empty() || rows[0].empty() || !rows[0][0]) return "";
  return *rows[0][0];
}

}  // namespace soi::it
