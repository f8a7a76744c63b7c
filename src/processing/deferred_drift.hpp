// Schema drift seen by a worker that fetches a day ahead of the committer:
// kept with the day and handed to the tracker when the day is committed, so
// the tracker sees the days in date order, as in a sequential run (its one
// alert per source per trading day relies on it: an earlier day observed after
// a later one would raise none).
// Threads: add() from any thread (a day's contract workers share one);
// replay() from the committing thread once the day's fetch is over.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "processing/schema_drift.hpp"

namespace soi {

class DeferredDrift {
 public:
  void add(std::string_view source, Date date, std::string_view field, DriftKind kind, std::string_view example);
  // Observes everything added, in the order added, then forgets it.
  void replay(SchemaDriftTracker& tracker);

 private:
  struct Observation {
    std::string source;
    Date date;
    std::string field;
    DriftKind kind;
    std::string example;
  };
  std::mutex mutex_;
  std::vector<Observation> observations_;
};

}  // namespace soi
