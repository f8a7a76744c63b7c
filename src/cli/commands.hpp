// Each subcommand lives in its own file and registers itself on the CLI11 app.
// The registered runner is called after parsing and returns the process exit code:
// 0 done, 1 failed at run time, 2 bad usage or configuration.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace soi::cli {

using Runner = std::function<int()>;

// Options every subcommand shares (set before the subcommand's runner is called).
struct GlobalOptions {
  std::string config_dir = "config";
  std::string command_line;  // redacted argv, for the run manifest
};

void add_backfill_command(CLI::App& app, const GlobalOptions& global, Runner& runner);
void add_config_command(CLI::App& app, const GlobalOptions& global, Runner& runner);
void add_query_command(CLI::App& app, const GlobalOptions& global, Runner& runner);
void add_simulate_command(CLI::App& app, const GlobalOptions& global, Runner& runner);
void add_status_command(CLI::App& app, const GlobalOptions& global, Runner& runner);
void add_sync_command(CLI::App& app, const GlobalOptions& global, Runner& runner);
void add_stream_command(CLI::App& app, const GlobalOptions& global, Runner& runner);
void add_run_command(CLI::App& app, const GlobalOptions& global, Runner& runner);
void add_stop_command(CLI::App& app, const GlobalOptions& global, Runner& runner);
void add_recenter_command(CLI::App& app, const GlobalOptions& global, Runner& runner);

}  // namespace soi::cli
