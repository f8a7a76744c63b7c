// What every data-collecting command sets up before it starts and closes when it
// ends: configuration (with command-line overrides), the API key, logs, the REST
// client, the market calendar, the run manifest, quarantine, schema-drift
// registry, error summary and the store of committed partitions.
#pragma once

#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/feed_registry.hpp"
#include "data_sources/rest_client.hpp"
#include "monitoring/error_summary.hpp"
#include "processing/quarantine.hpp"
#include "processing/schema_drift.hpp"
#include "sinks/manifest.hpp"
#include "sinks/sink.hpp"
#include "sinks/store/partition_store.hpp"
#include "utils/market_calendar.hpp"
#include "utils/process_lock.hpp"
#include "utils/rate_limiter.hpp"

namespace soi::cli {

struct RunOverrides {
  std::string base_url;  // "" keeps sources.yaml
  std::string data_dir;  // "" keeps settings.yaml
  std::string ws_base_url;  // "" keeps sources.yaml websocket.base_url (ws:// or wss://)
};

struct RunContext {
  Config config;
  FeedRegistry feeds = default_feeds();  // what --source, the backfill and the stream run
  // One writer per data directory, held for the whole run (another backfill or
  // a stream on the same directory is refused).
  std::optional<ProcessLock> lock;
  RunInfo run;
  MarketCalendar calendar;
  ErrorSummary errors;
  std::unique_ptr<RestClient> client;  // rest_base_url
  std::map<std::string, std::unique_ptr<RestClient>> other_clients;  // e.g. a separate indices host
  std::vector<std::unique_ptr<RestClient>> worker_clients;           // concurrent workers' own connections
  // sources.max_requests_per_second holds per host: every client of a base URL shares one limiter.
  std::map<std::string, std::shared_ptr<RateLimiter>> rate_limiters;
  // Guards client creation (other_clients, worker_clients, rate_limiters): feeds
  // backfilled concurrently each ask for worker clients from their own thread.
  std::mutex clients_mutex;
  std::string api_key;
  std::unique_ptr<RunManifest> manifest;
  std::unique_ptr<QuarantineWriter> quarantine;
  std::unique_ptr<SchemaDriftTracker> drift;
  // The committed partitions: written by the Parquet sink, read back by the
  // stream's recovery and universe and by --keep-tracked-contracts.
  std::shared_ptr<PartitionStore> store;
  std::string log_dir;
  // Set by finish_run when a record of the run could not be written: a run
  // whose work succeeded still exits 1.
  std::string finish_error;
};

// Throws SoiError(config) for bad configuration or a missing API key.
// Heap-allocated: the drift alert callback points into it, so it never moves.
// held_lock: the data directory's lock, already held by this process (soi run
// hands it from one day's run to the next, so no other writer slips in between);
// without it the lock is acquired here.
std::unique_ptr<RunContext> prepare_run(const std::string& config_dir, const RunOverrides& overrides,
                                        const std::string& command_line,
                                        std::optional<ProcessLock> held_lock = std::nullopt);

// The client for a feed's base URL (the main client when it is rest_base_url).
// Any thread; the client returned is then one thread's (a curl handle is).
RestClient& client_for(RunContext& run, const std::string& base_url);

// One more client for `base_url` (a concurrent worker's own connection),
// owned by the run, sharing that host's rate limit. Any thread.
RestClient& new_worker_client(RunContext& run, const std::string& base_url);

// HTTP exchanges and retries over every client of the run.
RestClientStats total_http_stats(const RunContext& run);

// Flushes drift registry, quarantine, manifest and error summary. Returns the
// manifest path, "" when it could not be written. A step that fails (a full or
// read-only disk) is recorded, reported on stderr and named in
// run.finish_error, never thrown: the run's own outcome, usually the first
// storage error, still reaches its summary.
std::string finish_run(RunContext& run, const std::string& status);

}  // namespace soi::cli
