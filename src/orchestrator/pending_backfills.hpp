// Days the daemon streamed whose after-close backfill has not yet succeeded: a
// day is added when its session starts and removed once its backfill stored
// every feed. A daemon killed in a session, or whose backfill failed (the API
// down at the close), finds the day here when it starts again, and backfills
// it as soon as the day is over, rather than leaving the streamed fragment as
// the day's record.
//
// data/state/stream/pending_backfill.txt, one YYYY-MM-DD a line, sorted,
// rewritten atomically; unreadable lines are ignored. Days more than kKeepDays
// before the newest are dropped: a day that old is a manual backfill's job.
//
// Threads: the daemon's main thread only.
#pragma once

#include <filesystem>
#include <set>
#include <vector>

#include "utils/time_util.hpp"

namespace soi {

// <data_dir>/state/stream/pending_backfill.txt
std::filesystem::path pending_backfills_file(const std::filesystem::path& data_dir);

class PendingBackfills {
 public:
  static constexpr int kKeepDays = 31;

  // Loads `file` (missing: nothing is pending).
  explicit PendingBackfills(std::filesystem::path file);

  // Both throw SoiError(storage) naming the file when it cannot be written.
  void add(Date day);
  void remove(Date day);

  // The pending days, oldest first.
  std::vector<Date> days() const;

 private:
  void save() const;

  std::filesystem::path file_;
  std::set<Date> days_;
};

}  // namespace soi
