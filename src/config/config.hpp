// Typed configuration, loaded once at start from config/*.yaml, then overridden
// by SOI_* environment variables, then validated. Defaults here equal the
// defaults written (and commented) in config/*.yaml.
#pragma once

#include <string>
#include <vector>

namespace soi {

struct LateDataConfig {
  std::string streaming_policy = "reject";  // reject | accept
  int max_lateness_days = 0;                // 0: only today's records are on time
};

// Real-time streaming (soi stream / soi run), settings.yaml `stream:`.
struct StreamConfig {
  int commit_interval_seconds = 60;         // the streamed day is committed to the sinks this often (and at the close)
  int heartbeat_interval_seconds = 300;     // heartbeat file rewrite interval
  int stale_heartbeat_seconds = 900;        // an older heartbeat raises an alert
  int queue_capacity_batches = 1024;        // reader -> writer queue, in frames' batches held in memory
  std::string queue_policy = "spill";       // spill | block | drop_oldest when the queue is full
  int wal_sync_ms = 1000;                   // fdatasync of the write-ahead log at most this often (0: every batch)
  int news_poll_seconds = 300;              // news polling interval during the session (0: no polling)
  int connect_before_open_seconds = 60;     // connect this long before the open
  int close_grace_seconds = 5;              // after the close, keep reading this long for the last windows
  int open_wait_seconds = 30;               // wait this long for the first SPY event's `op` before asking REST
  std::string clock = "system";             // system | server (the API's /v1/marketstatus/now serverTime)
  bool backfill_after_close = true;         // soi run: backfill the day over REST after the close
};

// config/settings.yaml
struct Settings {
  std::string data_dir = "./data";
  std::string log_dir = "";                 // "" -> <data_dir>/logs
  std::string log_level = "info";           // trace|debug|info|warn|error
  double log_max_file_mb = 50;              // rotation size per log file (0.01 = about 10 KB)
  int log_max_files = 5;                    // rotated files kept per log
  std::string session_start = "09:30";      // New York wall clock, regular session
  std::string session_end = "16:00";        // overridden by early closes
  int commit_alert_seconds = 300;           // a slower partition commit raises an alert
  std::string progress = "auto";            // auto | always | never
  int progress_interval_seconds = 10;       // plain progress lines when not a terminal
  LateDataConfig late_data;
  StreamConfig stream;
};

struct SpySourceConfig {
  bool enabled = true;
  std::string ticker = "SPY";
  int page_limit = 50000;                   // aggregates page size (API max 50000)
  bool adjusted = true;
};

// I:VIX per-second values from the indices API (index bars: o, h, l, c, t only).
struct VixSourceConfig {
  bool enabled = true;
  std::string ticker = "I:VIX";
  std::string base_url = "https://api.massive.com";  // indices API host; --base-url overrides it too
  int page_limit = 50000;
};

// SPY options near the money (contracts from /v3/reference/options/contracts,
// bars from the options aggregates API).
struct OptionsSourceConfig {
  bool enabled = true;
  std::string underlying = "SPY";
  double strike_range_pct = 1.0;            // strikes within +/- this % of the day's open
  std::string expiry_selection = "count";   // count | max_days
  int expiration_count = 1;                 // count: the N nearest expirations on or after the day
  int max_days_to_expiry = 7;               // max_days: every expiration at most this many days ahead
  int contracts_page_limit = 1000;          // contracts per reference page (API max 1000)
  int page_limit = 50000;                   // aggregates per page
  int max_in_flight = 4;                    // contracts fetched concurrently
};

// Ticker news with per-ticker sentiment (/v2/reference/news).
struct NewsSourceConfig {
  bool enabled = true;
  std::vector<std::string> tickers = {"SPY"};     // fetched, and one sentiment column each
  int page_limit = 1000;                          // articles per page (API max 1000)
  std::vector<std::string> relevance_tickers;     // keep articles tagged with one of these ([]: no ticker rule)
  std::vector<std::string> relevance_keywords;    // ... or mentioning one of these ([]: no keyword rule)
};

// WebSocket hosts and limits (sources.yaml `websocket:`).
struct WebSocketConfig {
  std::string provider = "massive";          // massive | polygon: host names of contract section 0
  std::string feed = "realtime";             // realtime | delayed
  std::string base_url = "";                 // "" = the provider's host; else <base_url>/<market> (e.g. the simulator)
  int max_subscriptions_per_connection = 100;  // options contracts per connection
  int max_connections_per_market = 1;        // what the account allows (1 by default on Massive/Polygon)
};

struct CalendarConfig {
  bool use_market_status_api = true;       // layer /v1/marketstatus/upcoming on the built-in rules
};

// config/sources.yaml
struct SourcesConfig {
  std::string rest_base_url = "https://api.massive.com";
  int max_requests_per_second = 50;        // per host, over all concurrent requests; 0 = unlimited
  int max_days_in_flight = 8;              // backfill days fetched concurrently, stored in date order
  SpySourceConfig spy;
  VixSourceConfig vix;
  OptionsSourceConfig options;
  NewsSourceConfig news;
  CalendarConfig calendar;
  WebSocketConfig websocket;
};

struct ParquetSinkConfig {
  std::string compression = "zstd";         // zstd | snappy | gzip | uncompressed
  int compression_level = 3;                // zstd level 1..22
  int row_group_size = 122880;
};

// The embedded consolidated SQL database (one table per feed + per-second view).
struct DuckDbSinkConfig {
  bool enabled = true;
  std::string path = "";                    // "" -> <data_dir>/processed/consolidated/market.duckdb
  int memory_limit_mb = 256;                // DuckDB's buffer memory; 0 = DuckDB's default (80% of RAM)
  std::string layout = "views";             // "views" over the Parquet files, or "tables" holding copies
};

// The same tables and view in a PostgreSQL server.
struct PostgresSinkConfig {
  bool enabled = false;
  std::string url_env = "SOI_POSTGRES_URL";  // environment variable holding the libpq connection string
  std::string schema = "soi";
  int connect_timeout_seconds = 10;
};

// The same tables and view in ClickHouse, through its HTTP interface: one server
// (url) or the shards of a cluster (shards, cluster). The password comes only from
// the environment variable password_env (or .env), never from here.
struct ClickHouseSinkConfig {
  bool enabled = false;
  std::string url = "http://127.0.0.1:8123";  // the one server, when shards is empty
  std::vector<std::string> shards;            // one HTTP URL per shard; non-empty overrides url
  std::string database = "soi";
  std::string user = "default";
  std::string password_env = "SOI_CLICKHOUSE_PASSWORD";
  std::string cluster;  // the cluster of the shards in the servers' remote_servers
};

// An S3-compatible bucket (AWS S3, GCS interoperability, R2, MinIO, Ceph, Swift's
// s3api). Its credentials come only from the environment or .env
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), never from here.
struct ObjectStoreConfig {
  bool enabled = false;
  std::string endpoint = "https://s3.amazonaws.com";
  std::string region = "us-east-1";
  std::string bucket;
  std::string prefix;       // keys go under <prefix>/ ("" = the bucket's root)
  bool path_style = false;  // http://endpoint/bucket/key (MinIO, Ceph, Swift, loopback); else bucket.endpoint
  std::string role = "mirror";  // mirror: the local Parquet is the record; primary: the bucket is
  double multipart_threshold_mb = 64;  // MiB; fractions allowed (tests against a local server)
  double multipart_part_mb = 16;
  int parallel_parts = 4;
};

// config/sinks.yaml. Parquet is always written; SQL sinks are optional.
struct SinksConfig {
  ParquetSinkConfig parquet;
  DuckDbSinkConfig duckdb;
  PostgresSinkConfig postgres;
  ClickHouseSinkConfig clickhouse;
  ObjectStoreConfig object_store;
};

// config/retry_policy.yaml
struct RetryPolicy {
  int max_attempts = 3;                     // total tries per request, including the first
  int initial_backoff_ms = 500;
  int max_backoff_ms = 30000;
  double backoff_multiplier = 2.0;
  double jitter = 0.2;                      // +/- fraction applied to each backoff
  bool respect_retry_after = true;          // on 429/503
  int max_retry_after_seconds = 120;        // a longer Retry-After fails the request
  int connect_timeout_seconds = 10;
  int request_timeout_seconds = 60;
  std::vector<int> retry_on_status = {429, 500, 502, 503, 504};
};

// config/simulator.yaml (soi simulate)
struct SimulatorConfig {
  std::string data = "synthetic";           // synthetic | replay
  std::string replay_dir = "./data";        // soi data dir to replay (data = replay)
  unsigned seed = 42;
  double spy_open = 590.0;                  // synthetic SPY open on 2020-01-02 (walk anchor)
  double vix_level = 16.0;
  std::vector<std::string> faults;          // fault specs, see docs/simulator.md
  // WebSocket feed (/stocks, /options, /indices on the same port).
  double ws_speed = 1.0;                    // simulated seconds per wall second; 0 = as fast as the client reads
  std::string ws_start;                     // "" = now, or RFC 3339 start of the simulated clock
  int ws_publish_delay_ms = 0;              // a second's events go out this long after the second closes
  int ws_batch_max = 1000;                  // events per data frame at most
  int ws_buffer_limit_kb = 16384;           // per-connection outbound buffer; beyond it: slow_consumer + close
  int ws_max_connections = 4;               // simultaneous connections per market and API key
  int ws_auth_timeout_ms = 10000;           // no auth message in this time: auth_timeout + close
};

struct Config {
  Settings settings;
  SourcesConfig sources;
  SinksConfig sinks;
  RetryPolicy retry;
  SimulatorConfig simulator;
  std::string config_dir;                   // where the YAML files were read from
};

// Reads <dir>/{settings,sources,sinks,retry_policy,simulator}.yaml (a missing file
// means all defaults), applies SOI_* environment overrides, validates.
// Throws SoiError(config) naming the file, the key and what is allowed.
Config load_config(const std::string& dir);

// Every effective setting, one "file: key = value" line each (strings quoted,
// lists as [a, b]), in schema order; what `soi config show` prints. Redacted.
std::string dump_config(const Config& config);

}  // namespace soi
