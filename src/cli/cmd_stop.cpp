// soi stop: ask the soi process that writes a data directory (the holder of
// its process lock) to finish and exit (SIGTERM: a stream commits the day
// first), and wait until it is gone.
// soi recenter: ask a running stream to re-centre its options band on SPY's
// last price (SIGUSR1).
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "config/config.hpp"
#include "utils/error.hpp"
#include "utils/json_text.hpp"
#include "utils/process_lock.hpp"

namespace soi::cli {
namespace {

struct StopOptions {
  std::string data_dir;
  int timeout_seconds = 60;
  bool json = false;
};

std::string resolve_data_dir(const GlobalOptions& global, const std::string& data_dir) {
  if (!data_dir.empty()) return data_dir;
  return load_config(global.config_dir).settings.data_dir;
}

// The live holder of the directory's lock, if any. Both the flock and the pid
// are checked: the file keeps a dead holder's pid, which may since belong to
// an unrelated process.
std::optional<LockInfo> live_holder(const std::string& data_dir) {
  std::optional<LockInfo> info = read_lock_info(data_dir);
  if (!info || !info->alive || !lock_is_held(data_dir)) return std::nullopt;
  return info;
}

// A zombie (exited, not yet reaped by its parent) still answers kill(pid, 0),
// but it has stopped: it no longer holds anything.
bool is_zombie(long pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');  // the command name may contain spaces and parentheses
  return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] == 'Z';
}

bool process_gone(long pid) {
  return (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) || is_zombie(pid);
}

// The subcommand of a recorded command line ("/usr/bin/soi --config c stream --once" -> "stream").
std::string subcommand_of(const std::string& command) {
  std::istringstream words(command);
  std::string word;
  bool first = true, skip_value = false;
  while (words >> word) {
    if (first) {  // the program
      first = false;
      continue;
    }
    if (skip_value) {
      skip_value = false;
      continue;
    }
    if (word == "--config") {
      skip_value = true;
      continue;
    }
    if (!word.empty() && word[0] == '-') continue;
    return word;
  }
  return {};
}

void print_result(const StopOptions& o, const std::string& data_dir, const std::string& result,
                  const std::optional<LockInfo>& holder, const std::string& message, bool to_stderr) {
  if (o.json) {
    std::cout << fmt::format(R"({{"data_dir":{},"result":{},"pid":{},"command":{},"message":{}}})",
                             json_quote(data_dir), json_quote(result), holder ? std::to_string(holder->pid) : "null",
                             holder ? json_quote(holder->command) : "null", json_quote(message))
              << "\n";
  } else {
    (to_stderr ? std::cerr : std::cout) << message << "\n";
  }
}

int run_stop(const GlobalOptions& global, const StopOptions& o) {
  const std::string data_dir = resolve_data_dir(global, o.data_dir);
  const std::optional<LockInfo> holder = live_holder(data_dir);
  if (!holder) {
    print_result(o, data_dir, "nothing_running", holder, fmt::format("nothing running on {}", data_dir), false);
    return 0;
  }
  const long pid = holder->pid;
  if (::kill(static_cast<pid_t>(pid), SIGTERM) != 0 && errno != ESRCH) {
    print_result(o, data_dir, "failed", holder,
                 fmt::format("soi: cannot signal soi pid {} ({}): {}", pid, holder->command, std::strerror(errno)),
                 true);
    return 1;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_seconds);
  while (!process_gone(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      print_result(o, data_dir, "timeout", holder,
                   fmt::format("soi: soi pid {} ({}) is still running {} s after SIGTERM; it may still be committing "
                               "(see its execution log), run soi stop again to wait longer, or kill -9 {} (the "
                               "write-ahead log keeps what a stream received)",
                               pid, holder->command, o.timeout_seconds, pid),
                   true);
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  print_result(o, data_dir, "stopped", holder, fmt::format("stopped soi pid {} ({})", pid, holder->command), false);
  return 0;
}

int run_recenter(const GlobalOptions& global, const std::string& data_dir_option) {
  const std::string data_dir = resolve_data_dir(global, data_dir_option);
  const std::optional<LockInfo> holder = live_holder(data_dir);
  if (!holder) {
    std::cerr << fmt::format("soi: nothing running on {}: no stream to re-centre\n", data_dir);
    return 1;
  }
  const std::string sub = subcommand_of(holder->command);
  // SIGUSR1 would kill any other soi command (it installs no handler for it).
  if (sub != "stream" && sub != "run") {
    std::cerr << fmt::format("soi: soi pid {} on {} is not streaming ({}); only soi stream or soi run re-centres\n",
                             holder->pid, data_dir, holder->command);
    return 1;
  }
  if (::kill(static_cast<pid_t>(holder->pid), SIGUSR1) != 0) {
    std::cerr << fmt::format("soi: cannot signal soi pid {}: {}\n", holder->pid, std::strerror(errno));
    return 1;
  }
  std::cout << fmt::format("asked soi pid {} ({}) to re-centre its options band\n", holder->pid, holder->command);
  return 0;
}

}  // namespace

void add_stop_command(CLI::App& app, const GlobalOptions& global, Runner& runner) {
  auto options = std::make_shared<StopOptions>();
  CLI::App* cmd = app.add_subcommand(
      "stop", "Stop the soi process writing a data directory (SIGTERM: a stream commits the day first) and wait "
              "until it has exited. Exit 0 when it stopped or nothing was running, 1 on timeout.");
  cmd->add_option("--data-dir", options->data_dir, "data directory (default: settings.yaml data_dir)");
  cmd->add_option("--timeout-seconds", options->timeout_seconds, "how long to wait for the process to exit")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "print the result as one JSON object");
  cmd->callback([&runner, &global, options]() { runner = [&global, options]() { return run_stop(global, *options); }; });
}

void add_recenter_command(CLI::App& app, const GlobalOptions& global, Runner& runner) {
  auto data_dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "recenter", "Ask the running soi stream (or soi run) on a data directory to re-centre its options band on "
                  "SPY's last price now (SIGUSR1). Exit 1 when no stream runs there.");
  cmd->add_option("--data-dir", *data_dir, "data directory (default: settings.yaml data_dir)");
  cmd->callback([&runner, &global, data_dir]() {
    runner = [&global, data_dir]() { return run_recenter(global, *data_dir); };
  });
}

}  // namespace soi::cli
