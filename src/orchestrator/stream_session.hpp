// One trading session streamed over WebSocket, from shortly before
// the open to the close:
//
//   reader thread per connection: read_frame -> WsEventParser -> RecordBatch
//     -> write-ahead log (append) -> SpillQueue (never blocks)
//   writer thread: SpillQueue -> late-data / session checks (quarantine) ->
//     StreamDayBook (the day so far, keyed (ticker, ts), last arrival wins)
//     -> every commit interval and at the close: one BarPartition per feed
//     through the SinkSet (the day replaced atomically, so rewriting it is
//     idempotent), then the log is checkpointed once the day is final.
//   gap repairer: after every (re)connect, the missed window over REST for
//     the connection's tickers, merged through the same path; one gap-log line.
//   news poller: the day's news over REST every news_poll_seconds.
//
// On start, the write-ahead log is replayed first: a stream killed with kill -9
// and restarted the same day continues with exactly what it had received.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "orchestrator/backfill_job.hpp"
#include "orchestrator/session_schedule.hpp"
#include "orchestrator/stream_clock.hpp"
#include "sinks/store/partition_store.hpp"

namespace soi {

// Set from signal handlers (SIGINT/SIGTERM: stop; SIGUSR1: recenter) and read by the session.
struct StreamControl {
  std::atomic<bool> stop{false};      // finish the current commit and return
  std::atomic<bool> recenter{false};  // re-centre the options universe on SPY's last price
};

struct StreamServices {
  BackfillServices backfill;                   // config, REST client, calendar, sinks, manifest, ...
  const FeedRegistry& feeds;                   // what streams: markets, topics, REST hosts, tables
  // One more REST client for a base URL (gap repair, options workers): never
  // the session's own client. Any thread.
  std::function<RestClient&(const std::string& base_url)> worker_client;
  std::string api_key;
  std::string data_dir;                        // local state: write-ahead log, spill file, journals
  PartitionStore& store;                       // committed partitions: recovery and the day's universe read them
  std::string log_dir;
  StreamClock& clock;
};

struct StreamFeedCounts {
  std::string feed;            // spy, vix, options
  std::uint64_t rows = 0;      // distinct (ticker, second) rows of the day after the last commit
  std::uint64_t tickers = 0;
};

struct StreamSessionSummary {
  Date date;
  bool ok = false;             // the day was committed (at the close or at a manual stop)
  bool stopped = false;        // a stop request ended the session before the close
  bool reached_close = false;  // the session ran to its close (the day is over: soi run backfills it)
  std::string error;           // fatal error (auth, ...), "" when none
  std::string error_category;  // "auth", "network", ...
  std::uint64_t events = 0;           // aggregate events received over WebSocket
  std::uint64_t replayed = 0;         // records replayed from the write-ahead log at start
  std::uint64_t quarantined = 0;
  std::uint64_t late = 0;             // of which rejected by the late-data policy
  std::uint64_t reconnects = 0;
  std::uint64_t gaps = 0;             // gap repairs done
  std::uint64_t gap_bars = 0;         // bars recovered by them
  std::uint64_t commits = 0;
  std::uint64_t spilled_batches = 0;
  std::uint64_t news_articles = 0;
  std::uint64_t contracts = 0;        // options universe size (after any re-centre)
  std::size_t connections = 0;        // WebSocket connections opened
  std::vector<StreamFeedCounts> feeds;
  double seconds = 0;
};

class StreamSession {
 public:
  StreamSession(StreamServices services, SessionWindow session, StreamControl& control);
  ~StreamSession();
  StreamSession(const StreamSession&) = delete;
  StreamSession& operator=(const StreamSession&) = delete;

  // Streams until the close (plus close_grace_seconds) or a stop request, commits
  // the day and returns. Errors that end the session (auth, max_connections with
  // no connection left, storage) come back in the summary, never as exceptions.
  StreamSessionSummary run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace soi
