// Which gap repairs are still owed, durably: a repair that a kill -9
// interrupted (its window requested but its bars not yet in the write-ahead
// log) is done again by the next run. One JSON line per event in
// <data_dir>/state/stream/open_gaps.jsonl: {"open":id,...request...} when a
// gap is submitted, {"done":id} once its bars are in the log.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <vector>

#include "orchestrator/gap_repair_request.hpp"

namespace soi {

class GapJournal {
 public:
  explicit GapJournal(std::filesystem::path path);

  // The gaps of `date` opened and not done by earlier runs; the journal is then
  // emptied (they are submitted again, which records them anew). Unreadable
  // lines (a torn last line) are skipped. Throws SoiError(storage).
  std::vector<GapRequest> take_open(Date date);

  // Any thread. Return the id to pass to done().
  std::uint64_t opened(const GapRequest& request);
  void done(std::uint64_t id);

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::mutex mutex_;
  std::uint64_t next_id_ = 1;
};

}  // namespace soi
