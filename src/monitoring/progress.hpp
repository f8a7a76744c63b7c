// Progress of a backfill: a one-line bar on a terminal (days, rows, rate, ETA),
// plain periodic log lines otherwise (files, pipes, CI).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace soi {

class ProgressReporter {
 public:
  enum class Mode { bar, lines, off };
  // mode_setting: auto | always | never (settings.yaml progress).
  // stderr_is_terminal: -1 detects it (isatty), 0/1 forces it (tests).
  ProgressReporter(std::string label, std::uint64_t total_days, const std::string& mode_setting,
                   int line_interval_seconds, int stderr_is_terminal = -1);
  ~ProgressReporter();

  void update(std::uint64_t days_done, std::uint64_t rows);
  void finish();
  Mode mode() const { return mode_; }

 private:
  std::string render(std::uint64_t days_done, std::uint64_t rows) const;

  std::string label_;
  std::uint64_t total_days_;
  Mode mode_;
  int line_interval_seconds_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_line_;
  bool finished_ = false;
  std::uint64_t last_days_ = 0, last_rows_ = 0;
};

}  // namespace soi
