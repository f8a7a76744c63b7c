// The WebSocket connections of one session, and their health: one WsReader
// per connection (each with its own thread, see ws_reader.hpp), the counters
// and heartbeat file of each market (stocks, indices, options), and the
// staleness alert of each. The base connections carry the feeds with fixed
// tickers (SPY, VIX: one streamed feed per market); the options contracts are
// added once the universe is known, onto connections with room first, then
// onto new ones up to the account's connection limit.
//
// A connection resumes where the day book stands: its first gap starts at the
// last second already held for its tickers (a restart), else at the open.
//
// Threads: every method from the session's writer thread. The readers and
// heartbeat writers run their own threads; they only touch the counters
// (atomics), the StreamIngest and the GapRepairer, which are thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data_sources/subscription_plan.hpp"
#include "monitoring/heartbeat.hpp"
#include "orchestrator/stream_feed_set.hpp"
#include "orchestrator/ws_reader.hpp"
#include "processing/spill_queue.hpp"

namespace soi {

class StreamConnectionSet {
 public:
  struct Services {
    const StreamFeedSet& feeds;
    StreamIngest& ingest;
    GapRepairer& gaps;
    QuarantineWriter& quarantine;
    SchemaDriftTracker& drift;
    ErrorSummary& errors;
    std::string api_key;
    std::string log_dir;  // heartbeat files
  };
  // `resume_from`: the session's day book (read only here, on the writer thread).
  StreamConnectionSet(Services services, Date date, BarWindow session, const StreamDayBook& resume_from);
  ~StreamConnectionSet();  // stops and joins what is still running
  StreamConnectionSet(const StreamConnectionSet&) = delete;
  StreamConnectionSet& operator=(const StreamConnectionSet&) = delete;

  // The connections of every needed feed but the options. Throws SoiError(config)
  // when a feed's market has no base connection or two feeds share one.
  void start_base();
  // Subscribes the option topics; returns how many did not fit under
  // websocket.max_connections_per_market (never dropped silently: the caller reports them).
  std::size_t add_option_topics(const std::vector<std::string>& topics);

  // The connection carrying the underlying's open and last price; nullptr: none.
  const WsReader* underlying() const;
  // The time the data has reached: the slowest of the non-options connections
  // that have delivered anything (one bogus future-dated event cannot end the
  // session early); nullopt when none has.
  std::optional<std::int64_t> data_time_ms() const;
  // Every connection has delivered the window ending at `ms`.
  bool all_reached(std::int64_t ms) const;
  // "" while any connection is alive; an auth failure of any one ends the session.
  std::string fatal_error() const;
  bool fatal_is_auth() const;
  bool none_ever_connected() const;  // connections were opened and none was accepted

  // An alert in the errors log when a market's heartbeat is stale or its
  // connection stopped delivering for stale_heartbeat_seconds (once per episode).
  void check_staleness(std::int64_t now_ms);
  void publish_queue_stats(const SpillQueueStats& stats);

  // Stops the readers (at_close: a connection quiet before the close is
  // repaired up to it) and joins them. Their last batches are in the ingest.
  void stop(bool at_close);
  // Marks every market closed and writes the last heartbeats.
  void close();

  std::uint64_t events() const;
  std::uint64_t reconnects() const;
  std::size_t size() const noexcept { return readers_.size(); }

 private:
  static constexpr std::size_t kMarkets = 3;  // stocks, indices, options (WsMarket)
  WsReaderConfig reader_config(WsMarket market, StreamFeed feed, std::size_t shard, std::string url,
                               std::vector<std::string> topics) const;
  void start_reader(WsReaderConfig config);

  Services s_;
  Date date_;
  BarWindow session_;
  const StreamDayBook& resume_from_;
  WsMarketUrls urls_;
  std::array<StreamCounters, kMarkets> counters_;
  std::array<std::unique_ptr<HeartbeatWriter>, kMarkets> heartbeats_;
  std::array<bool, kMarkets> stale_alerted_{};
  std::vector<std::unique_ptr<WsReader>> readers_;
  std::size_t options_connections_ = 0;
};

}  // namespace soi
