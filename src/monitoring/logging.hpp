// Three logs, one purpose each (all rotated, all redacted):
//   <log_dir>/execution/execution.log     run start/end, per day and per page (debug)
//   <log_dir>/errors/errors.log           every error with category and context, alerts
//   <log_dir>/performance/performance.log per-run and per-commit timings
// Warnings and errors are also echoed to stderr. Before init_logging() every
// logger writes to stderr only, so library code can log from unit tests.
#pragma once

#include <string>

#include <spdlog/logger.h>

namespace soi {

struct LogOptions {
  std::string log_dir;            // "" -> stderr only
  std::string level = "info";
  double max_file_mb = 50;  // fractions allowed (tests rotate at a few KB)
  int max_files = 5;
  bool echo_to_stderr = true;     // warn+ on stderr
};

void init_logging(const LogOptions& options);
void shutdown_logging();

spdlog::logger& exec_log();
spdlog::logger& error_log();
spdlog::logger& perf_log();

}  // namespace soi
