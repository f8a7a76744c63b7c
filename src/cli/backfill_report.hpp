// The end-of-run report of `soi backfill`: a short text summary for people,
// or one JSON object (--json) for scripts.
#pragma once

#include <string>
#include <vector>

#include "cli/run_setup.hpp"
#include "orchestrator/backfill_job.hpp"

namespace soi::cli {

struct BackfillReport {
  std::vector<BackfillSummary> feeds;
  std::uint64_t trading_days = 0;
  double seconds = 0;
  std::string manifest;

  bool ok() const;
  std::uint64_t rows() const;
};

std::string backfill_report_json(const BackfillReport& report, const RunContext& run);
void print_backfill_report(const BackfillReport& report, const RunContext& run);

}  // namespace soi::cli
