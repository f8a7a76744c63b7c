#include "monitoring/progress.hpp"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "monitoring/logging.hpp"

namespace soi {

ProgressReporter::ProgressReporter(std::string label, std::uint64_t total_days, const std::string& mode_setting,
                                   int line_interval_seconds, int stderr_is_terminal)
    : label_(std::move(label)), total_days_(total_days), line_interval_seconds_(line_interval_seconds),
      start_(std::chrono::steady_clock::now()), last_line_(start_) {
  if (mode_setting == "never") mode_ = Mode::off;
  else if (mode_setting == "always" ||
           (stderr_is_terminal < 0 ? ::isatty(STDERR_FILENO) != 0 : stderr_is_terminal == 1))
    mode_ = Mode::bar;
  else mode_ = Mode::lines;
}

ProgressReporter::~ProgressReporter() { finish(); }

std::string ProgressReporter::render(std::uint64_t days_done, std::uint64_t rows) const {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? rows / elapsed : 0;
  std::string eta = "--:--";
  if (days_done > 0 && days_done < total_days_) {
    const auto remaining = static_cast<long>(elapsed / days_done * (total_days_ - days_done));
    eta = fmt::format("{}:{:02}", remaining / 60, remaining % 60);
  } else if (days_done >= total_days_) {
    eta = "0:00";
  }
  constexpr int kWidth = 24;
  const int filled = total_days_ ? static_cast<int>(kWidth * days_done / total_days_) : kWidth;
  return fmt::format("{} [{}{}] {}/{} days  {} rows  {:.0f} rows/s  ETA {}", label_, std::string(filled, '#'),
                     std::string(kWidth - filled, '.'), days_done, total_days_, rows, rate, eta);
}

void ProgressReporter::update(std::uint64_t days_done, std::uint64_t rows) {
  last_days_ = days_done;
  last_rows_ = rows;
  if (mode_ == Mode::bar) {
    std::fprintf(stderr, "\r%s\033[K", render(days_done, rows).c_str());
    std::fflush(stderr);
  } else if (mode_ == Mode::lines) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_line_ >= std::chrono::seconds(line_interval_seconds_) || days_done == total_days_) {
      last_line_ = now;
      const std::string line = render(days_done, rows);
      std::fprintf(stderr, "progress: %s\n", line.c_str());
      exec_log().info("progress: {}", line);
    }
  }
}

void ProgressReporter::finish() {
  if (finished_) return;
  finished_ = true;
  if (mode_ == Mode::bar) {
    std::fprintf(stderr, "\r%s\033[K\n", render(last_days_, last_rows_).c_str());
    std::fflush(stderr);
  }
}

}  // namespace soi
