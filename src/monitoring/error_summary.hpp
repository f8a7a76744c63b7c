// Collects every error of a run: logs it once to the errors log with its
// category and context, and at the end produces a summary (counts by category
// and source, first/last occurrence, one example each) for the terminal and as
// JSON in <log_dir>/errors/summary-<run_id>.json for later aggregation.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "utils/error.hpp"

namespace soi {

class ErrorSummary {
 public:
  struct Entry {
    std::uint64_t count = 0;
    std::int64_t first_ms = 0;
    std::int64_t last_ms = 0;
    std::string example;
  };

  void record(const SoiError& error);
  void record(ErrorCategory category, std::string_view message, const ErrorContext& context);

  std::uint64_t total() const;
  std::uint64_t count(ErrorCategory category) const;
  // Keyed by (category, source).
  std::map<std::pair<std::string, std::string>, Entry> entries() const;

  std::string to_json(const std::string& run_id) const;
  std::string to_text() const;  // multi-line table, "" when no error
  // Writes summary-<run_id>.json atomically into dir; returns the path.
  std::string write_json(const std::string& dir, const std::string& run_id) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, Entry> entries_;
};

}  // namespace soi
