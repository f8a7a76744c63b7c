// One WebSocket connection of a stream and the thread that reads it:
// connect -> auth -> subscribe, then read_frame -> parse -> one RecordBatch per
// frame -> StreamIngest (write-ahead log, then queue). Nothing is logged per
// message: the connection's StreamCounters carry the traffic.
//
// On any drop it reconnects with exponential backoff and jitter, resubscribes
// every topic, and asks the GapRepairer for the window it missed: from the
// last second it had seen (inclusive) to the first second received after the
// reconnect. An auth failure ends the reader (every retry would fail alike);
// max_connections is reported once and retried after the policy's long floor.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "data_sources/reconnect_policy.hpp"
#include "data_sources/subscription_plan.hpp"
#include "data_sources/ws_client.hpp"
#include "data_sources/ws_event_parser.hpp"
#include "monitoring/error_summary.hpp"
#include "monitoring/heartbeat.hpp"
#include "orchestrator/gap_repair.hpp"
#include "orchestrator/stream_ingest.hpp"
#include "processing/quarantine.hpp"
#include "processing/schema_drift.hpp"
#include "processing/stream_day_book.hpp"

namespace soi {

struct WsReaderConfig {
  WsMarket market = WsMarket::stocks;
  StreamFeed feed;                   // position in the FeedRegistry, written into the log
  std::string feed_name;             // "spy": errors, quarantine
  std::size_t shard = 0;
  std::string url;
  std::vector<std::string> topics;   // "A.SPY", ...
  std::string api_key;
  WsClientOptions client;
  ReconnectPolicy reconnect;
  // Whose `op` opens the day: set on the connection of a feed another feed
  // depends on (SPY, for the options band); "" elsewhere.
  std::string underlying;
  // Where the first connection's gap starts: the last second already held for
  // its tickers (a restart), else the session open. nullopt: no start gap.
  std::optional<std::int64_t> first_gap_start_ms;
  std::string first_gap_reason = "start";
  // A gap still open when the reader stops (no event came after a reconnect)
  // is repaired up to here: the session's close.
  std::int64_t session_close_ms = 0;  // "restart" when the day book already held data
};

struct WsReaderServices {
  StreamIngest& ingest;
  GapRepairer& gaps;
  QuarantineWriter& quarantine;
  SchemaDriftTracker& drift;
  ErrorSummary& errors;
  StreamCounters& counters;
  Date date;
};

class WsReader {
 public:
  WsReader(WsReaderConfig config, WsReaderServices services);
  ~WsReader();  // stop() + join()
  WsReader(const WsReader&) = delete;
  WsReader& operator=(const WsReader&) = delete;

  void start();
  // Thread-safe: ends the read loop soon (a blocked read returns). repair_to_close:
  // the session is over, so whatever this connection did not receive between its
  // last second and the close is fetched over REST before the reader ends.
  void request_stop(bool repair_to_close = false);
  void join();

  // Thread-safe: subscribe to more topics (a re-centred universe); applied by the
  // reader right away (a blocked read is woken) and kept for every resubscription.
  void add_topics(std::vector<std::string> topics);
  std::size_t topic_count() const;

  // The underlying's official open from the first event carrying `op` (0: not yet).
  double day_open() const { return day_open_.load(std::memory_order_relaxed); }
  // Close of the underlying's latest bar (0: none yet).
  double last_price() const { return last_price_.load(std::memory_order_relaxed); }
  // End of the latest window received (UTC ms, 0: none yet).
  std::int64_t last_event_end_ms() const { return last_end_.load(std::memory_order_relaxed); }
  // Auth failure (or another error that retrying cannot fix); "" while none.
  std::string fatal_error() const;
  bool fatal_is_auth() const { return fatal_auth_.load(); }
  std::uint64_t connects() const { return connects_.load(); }
  const WsReaderConfig& config() const { return config_; }

 private:
  void run();
  void read_connection(WsConnection& connection, std::optional<std::int64_t>& gap_start, const char*& gap_reason);
  void apply_pending_topics(WsConnection& connection);
  void submit_gap(std::int64_t start, std::int64_t end, const char* reason);
  bool sleep_interruptibly(std::chrono::milliseconds delay);

  WsReaderConfig config_;
  WsReaderServices s_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> repair_to_close_{false};
  std::atomic<bool> limited_{false};  // a max_connections status arrived on the current connection
  mutable std::mutex mutex_;          // connection_, pending_topics_, fatal_, topics
  WsConnection* connection_ = nullptr;
  std::vector<std::string> pending_topics_;
  std::string fatal_;
  std::atomic<bool> fatal_auth_{false};
  std::atomic<double> day_open_{0};
  std::atomic<double> last_price_{0};
  std::atomic<std::int64_t> last_end_{0};
  std::atomic<std::int64_t> last_ts_{INT64_MIN};  // latest bar start seen on this connection
  std::atomic<std::uint64_t> connects_{0};
  bool first_connect_ = true;
  std::mutex sleep_mutex_;
  std::condition_variable sleep_cv_;
};

}  // namespace soi
