// The end-of-session report of `soi stream` / `soi run`: a short text summary
// for people, or one JSON object (--json) for scripts.
#pragma once

#include <string>

#include "orchestrator/stream_session.hpp"

namespace soi::cli {

// Where the session ran, added to the report.
struct StreamReportContext {
  std::string run_id;
  std::string clock;     // StreamClock::describe()
  std::string data_dir;
  std::string manifest;  // "" when no manifest was written
};

// One JSON object with every StreamSessionSummary field.
std::string stream_summary_json(const StreamSessionSummary& s, const StreamReportContext& context);
// A few lines on stdout.
std::string stream_summary_text(const StreamSessionSummary& s, const StreamReportContext& context);

}  // namespace soi::cli
