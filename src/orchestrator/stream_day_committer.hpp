// The stream's commits: a day book's bars as one partition per streamed feed,
// and the options universe as the options feed's companion partition, both
// through the BackfillJob's SinkSet. Each partition replaces its day
// atomically, so the commit repeated every interval is idempotent.
//
// The write-ahead log is checkpointed only after a commit of the session's day
// that every sink took, at the log position drained before the snapshot:
// everything before it is in the committed day, so a restart need not replay
// it. A recovered day whose commit failed holds the log for the rest of the
// session (hold_log): the log is the only copy of what that day misses.
//
// What survives a crash: every committed partition (the sinks' atomic
// replace), and the log from its last checkpoint.
//
// Threads: the session's writer thread only.
#pragma once

#include <cstdint>

#include "orchestrator/backfill_job.hpp"
#include "orchestrator/stream_feed_set.hpp"
#include "orchestrator/stream_ingest.hpp"
#include "processing/records.hpp"

namespace soi {

class StreamDayCommitter {
 public:
  StreamDayCommitter(const StreamFeedSet& feeds, BackfillJob& job, StreamIngest& ingest);

  enum class Feeds {
    with_bars,  // only the feeds the day holds bars of (a recovered day: leave the others' partitions alone)
    enabled,    // every enabled feed, empty ones too (the session's day: an empty feed is a fact)
  };
  struct Options {
    Feeds feeds = Feeds::enabled;
    bool last = false;        // the day's final commit: moves the bars out of the book (no copy)
    bool checkpoint = false;  // the session's day with no other day pending: success may checkpoint the log
  };

  // True when every sink took every partition.
  bool commit_bars(StreamDayBook& day, const BarWindow& window, Options options);
  bool commit_universe(Date day, const OptionsUniverse& universe);

  // The first commit a sink refused this session (message and category), so
  // the session can end with the cause (a full disk names its path).
  const std::string& first_error() const noexcept { return first_error_; }
  const std::string& first_error_category() const noexcept { return first_error_category_; }

  void hold_log() noexcept { log_held_ = true; }
  bool log_held() const noexcept { return log_held_; }
  std::uint64_t commits() const noexcept { return commits_; }

 private:
  const StreamFeedSet& feeds_;
  BackfillJob& job_;
  StreamIngest& ingest_;
  bool log_held_ = false;
  std::uint64_t commits_ = 0;
  std::string first_error_;
  std::string first_error_category_;
};

}  // namespace soi
