// A restarted session's state, rebuilt before any connection opens, so that a
// stream killed with kill -9 and started again the same day continues with
// exactly what it had received:
//   1. the session's day as committed (the PartitionStore);
//   2. every record the write-ahead log holds after its last checkpoint, routed
//      as the live run routed it (StreamDayRouter). A record older than a later
//      backfill of its day only fills a second that day lacks (SupersededDays);
//   3. days other than the session's that the log held (a run killed before an
//      earlier close, late records) committed at once; one whose commit fails
//      holds the log for the rest of the session;
//   4. the session's day committed again when anything was replayed;
//   5. the options universe an earlier run of the day committed, if any.
//
// Throws SoiError (storage, parse) when the committed day or the log cannot be
// read: the session then ends with that error before it streams.
//
// Threads: the session's writer thread, once, before the connections start.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "orchestrator/stream_day_committer.hpp"
#include "orchestrator/stream_day_router.hpp"

namespace soi {

struct StreamRecoveryResult {
  std::uint64_t replayed = 0;    // records replayed from the log (those a backfill already had excluded)
  std::uint64_t superseded = 0;  // replayed records whose second a later backfill of their day already had
  std::optional<OptionsUniverse> universe;  // the day's universe, as an earlier run committed it
};

class StreamRecovery {
 public:
  struct Services {
    const StreamFeedSet& feeds;
    StreamDayRouter& router;
    StreamDayCommitter& committer;
    StreamIngest& ingest;       // its log is replayed
    const MarketCalendar& calendar;  // the session of a recovered day
    PartitionStore& store;      // the committed universe
    std::filesystem::path data_dir;
  };
  explicit StreamRecovery(Services services) : s_(std::move(services)) {}

  StreamRecoveryResult run(const BarWindow& session);

 private:
  Services s_;
};

}  // namespace soi
