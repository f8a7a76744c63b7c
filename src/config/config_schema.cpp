#include "config/config_schema.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace soi::config {
namespace {

Allowed any() { return {}; }
Allowed non_empty() { return {AllowedKind::non_empty, 0, 0, {}}; }
Allowed range(double min, double max) { return {AllowedKind::range, min, max, {}}; }
Allowed one_of(std::vector<std::string> choices) { return {AllowedKind::one_of, 0, 0, std::move(choices)}; }
Allowed url() { return {AllowedKind::url, 0, 0, {}}; }
Allowed ws_url() { return {AllowedKind::ws_url, 0, 0, {}}; }
Allowed clock_time() { return {AllowedKind::clock_time, 0, 0, {}}; }
Allowed ticker() { return {AllowedKind::ticker, 0, 0, {}}; }

// A captureless lambda per row: the row names its field once and the variant
// alternative it returns is the setting's type, so type and field cannot disagree.
#define SOI_FIELD(member) [](Config& c) -> FieldRef { return &c.member; }

std::vector<SettingSpec> build_schema() {
  using F = ConfigFile;
  return {
      // config/settings.yaml
      {F::settings, "data_dir", non_empty(), "Root of the Parquet data tree, the DuckDB file and state.",
       SOI_FIELD(settings.data_dir)},
      {F::settings, "log_dir", any(), "Log directory; empty means data_dir/logs.", SOI_FIELD(settings.log_dir)},
      {F::settings, "log_level", one_of({"trace", "debug", "info", "warn", "error"}),
       "Lowest level written to the logs.", SOI_FIELD(settings.log_level)},
      {F::settings, "log_max_file_mb", range(0.01, 10240), "Size in MB at which a log file is rotated (fractions allowed).",
       SOI_FIELD(settings.log_max_file_mb)},
      {F::settings, "log_max_files", range(1, 1000), "Rotated files kept per log.", SOI_FIELD(settings.log_max_files)},
      {F::settings, "session_start", clock_time(), "Regular session open, New York wall clock.",
       SOI_FIELD(settings.session_start)},
      {F::settings, "session_end", clock_time(),
       "Regular session close, New York wall clock (early closes override it); after session_start.",
       SOI_FIELD(settings.session_end)},
      {F::settings, "commit_alert_seconds", range(1, 86400), "A partition commit slower than this raises an alert.",
       SOI_FIELD(settings.commit_alert_seconds)},
      {F::settings, "progress", one_of({"auto", "always", "never"}),
       "Progress display: auto shows it only when the output is a terminal.", SOI_FIELD(settings.progress)},
      {F::settings, "progress_interval_seconds", range(1, 3600),
       "Seconds between plain progress lines when output is not a terminal.",
       SOI_FIELD(settings.progress_interval_seconds)},
      {F::settings, "late_data.streaming_policy", one_of({"reject", "accept"}),
       "What streaming does with records for a past trading day.", SOI_FIELD(settings.late_data.streaming_policy)},
      {F::settings, "late_data.max_lateness_days", range(0, 365),
       "Trading days a streamed record may lag and still count as on time (0: today only).",
       SOI_FIELD(settings.late_data.max_lateness_days)},
      {F::settings, "stream.commit_interval_seconds", range(1, 3600),
       "Seconds between commits of the streamed day to the sinks (and one at the close).",
       SOI_FIELD(settings.stream.commit_interval_seconds)},
      {F::settings, "stream.heartbeat_interval_seconds", range(1, 86400),
       "Seconds between rewrites of a stream's heartbeat file.", SOI_FIELD(settings.stream.heartbeat_interval_seconds)},
      {F::settings, "stream.stale_heartbeat_seconds", range(1, 604800),
       "A heartbeat older than this raises an alert; more than heartbeat_interval_seconds.",
       SOI_FIELD(settings.stream.stale_heartbeat_seconds)},
      {F::settings, "stream.queue_capacity_batches", range(1, 1000000),
       "Batches of frames the reader-to-writer queue holds in memory.",
       SOI_FIELD(settings.stream.queue_capacity_batches)},
      {F::settings, "stream.queue_policy", one_of({"spill", "block", "drop_oldest"}),
       "When the queue is full: spill to a file, block the reader, or drop the oldest batch.",
       SOI_FIELD(settings.stream.queue_policy)},
      {F::settings, "stream.wal_sync_ms", range(0, 60000),
       "The write-ahead log is fdatasynced at most once per this many milliseconds (0: after every batch).",
       SOI_FIELD(settings.stream.wal_sync_ms)},
      {F::settings, "stream.news_poll_seconds", range(0, 86400),
       "Seconds between news polls during the session (0: no polling).", SOI_FIELD(settings.stream.news_poll_seconds)},
      {F::settings, "stream.connect_before_open_seconds", range(0, 3600),
       "Seconds before the open at which the WebSocket connections are made.",
       SOI_FIELD(settings.stream.connect_before_open_seconds)},
      {F::settings, "stream.close_grace_seconds", range(0, 600),
       "Seconds to keep reading after the close for the last windows.",
       SOI_FIELD(settings.stream.close_grace_seconds)},
      {F::settings, "stream.open_wait_seconds", range(0, 600),
       "Seconds to wait for the official open in the first SPY event before asking REST.",
       SOI_FIELD(settings.stream.open_wait_seconds)},
      {F::settings, "stream.clock", one_of({"system", "server"}),
       "Time source: the system clock, or the API's server time (/v1/marketstatus/now).",
       SOI_FIELD(settings.stream.clock)},
      {F::settings, "stream.backfill_after_close", any(), "soi run: backfill the day over REST after the close.",
       SOI_FIELD(settings.stream.backfill_after_close)},

      // config/sources.yaml
      {F::sources, "rest_base_url", url(), "Base URL of the Massive/Polygon REST API (or `soi simulate`).",
       SOI_FIELD(sources.rest_base_url)},
      {F::sources, "max_requests_per_second", range(0, 100000),
       "REST requests per second per host, over all concurrent requests (0: unlimited).",
       SOI_FIELD(sources.max_requests_per_second)},
      {F::sources, "max_days_in_flight", range(1, 64),
       "Trading days a backfill fetches concurrently (each with its own connection); days are still stored in "
       "date order. Options fetch half as many days, each with options.max_in_flight contracts in flight.",
       SOI_FIELD(sources.max_days_in_flight)},
      {F::sources, "spy.enabled", any(), "Ingest SPY per-second aggregates.", SOI_FIELD(sources.spy.enabled)},
      {F::sources, "spy.ticker", ticker(), "Underlying ticker to ingest.", SOI_FIELD(sources.spy.ticker)},
      {F::sources, "spy.page_limit", range(1, 50000), "Aggregates per REST page (API maximum 50000).",
       SOI_FIELD(sources.spy.page_limit)},
      {F::sources, "spy.adjusted", any(), "Request split-adjusted aggregates.", SOI_FIELD(sources.spy.adjusted)},
      {F::sources, "vix.enabled", any(), "Ingest I:VIX per-second index values.", SOI_FIELD(sources.vix.enabled)},
      {F::sources, "vix.ticker", non_empty(), "Index ticker to ingest, with its I: prefix.",
       SOI_FIELD(sources.vix.ticker)},
      {F::sources, "vix.base_url", url(), "Base URL of the indices API (Massive host by default).",
       SOI_FIELD(sources.vix.base_url)},
      {F::sources, "vix.page_limit", range(1, 50000), "Index values per REST page (API maximum 50000).",
       SOI_FIELD(sources.vix.page_limit)},
      {F::sources, "options.enabled", any(), "Ingest the near-the-money options of the underlying.",
       SOI_FIELD(sources.options.enabled)},
      {F::sources, "options.underlying", ticker(), "Underlying whose options are tracked.",
       SOI_FIELD(sources.options.underlying)},
      {F::sources, "options.strike_range_pct", range(0.01, 50),
       "Track strikes within +/- this percent of the day's open.", SOI_FIELD(sources.options.strike_range_pct)},
      {F::sources, "options.expiry_selection", one_of({"count", "max_days"}),
       "Which expirations: the expiration_count nearest, or all within max_days_to_expiry.",
       SOI_FIELD(sources.options.expiry_selection)},
      {F::sources, "options.expiration_count", range(1, 100),
       "count: the N nearest expirations on or after the trading day.", SOI_FIELD(sources.options.expiration_count)},
      {F::sources, "options.max_days_to_expiry", range(0, 3650),
       "max_days: every expiration at most this many calendar days after the trading day.",
       SOI_FIELD(sources.options.max_days_to_expiry)},
      {F::sources, "options.contracts_page_limit", range(1, 1000), "Contracts per reference page (API maximum 1000).",
       SOI_FIELD(sources.options.contracts_page_limit)},
      {F::sources, "options.page_limit", range(1, 50000), "Option aggregates per REST page (API maximum 50000).",
       SOI_FIELD(sources.options.page_limit)},
      {F::sources, "options.max_in_flight", range(1, 64), "Contracts downloaded concurrently.",
       SOI_FIELD(sources.options.max_in_flight)},
      {F::sources, "news.enabled", any(), "Ingest ticker news.", SOI_FIELD(sources.news.enabled)},
      {F::sources, "news.tickers", ticker(), "Tickers whose news is fetched; each gets a sentiment column.",
       SOI_FIELD(sources.news.tickers)},
      {F::sources, "news.page_limit", range(1, 1000), "Articles per REST page (API maximum 1000).",
       SOI_FIELD(sources.news.page_limit)},
      {F::sources, "news.relevance_tickers", ticker(),
       "Keep only articles tagged with one of these tickers (or matching a keyword); empty: no ticker rule.",
       SOI_FIELD(sources.news.relevance_tickers)},
      {F::sources, "news.relevance_keywords", non_empty(),
       "Keep only articles mentioning one of these words (or tagged with a relevance ticker); empty: no keyword rule.",
       SOI_FIELD(sources.news.relevance_keywords)},
      {F::sources, "calendar.use_market_status_api", any(),
       "Layer /v1/marketstatus/upcoming holidays on top of the built-in calendar rules.",
       SOI_FIELD(sources.calendar.use_market_status_api)},
      {F::sources, "websocket.provider", one_of({"massive", "polygon"}),
       "Whose WebSocket hosts to connect to.", SOI_FIELD(sources.websocket.provider)},
      {F::sources, "websocket.feed", one_of({"realtime", "delayed"}),
       "Real-time or 15-minute delayed WebSocket feed.", SOI_FIELD(sources.websocket.feed)},
      {F::sources, "websocket.base_url", ws_url(),
       "WebSocket base URL, e.g. `soi simulate`'s, followed by /stocks, /options or /indices; empty: the "
       "provider's host.",
       SOI_FIELD(sources.websocket.base_url)},
      {F::sources, "websocket.max_subscriptions_per_connection", range(1, 1000),
       "Options contracts subscribed per WebSocket connection at most.",
       SOI_FIELD(sources.websocket.max_subscriptions_per_connection)},
      {F::sources, "websocket.max_connections_per_market", range(1, 100),
       "Simultaneous WebSocket connections per market the account allows.",
       SOI_FIELD(sources.websocket.max_connections_per_market)},

      // config/sinks.yaml
      {F::sinks, "parquet.compression", one_of({"zstd", "snappy", "gzip", "uncompressed"}),
       "Parquet column compression codec.", SOI_FIELD(sinks.parquet.compression)},
      {F::sinks, "parquet.compression_level", range(1, 22), "zstd compression level (ignored by other codecs).",
       SOI_FIELD(sinks.parquet.compression_level)},
      {F::sinks, "parquet.row_group_size", range(1, 10000000), "Rows per Parquet row group.",
       SOI_FIELD(sinks.parquet.row_group_size)},
      {F::sinks, "duckdb.enabled", any(), "Keep the consolidated DuckDB database (one relation per feed + view).",
       SOI_FIELD(sinks.duckdb.enabled)},
      {F::sinks, "duckdb.path", any(), "DuckDB file; empty means data_dir/processed/consolidated/market.duckdb.",
       SOI_FIELD(sinks.duckdb.path)},
      {F::sinks, "duckdb.memory_limit_mb", range(0, 1048576),
       "Memory DuckDB may use for the consolidated database's buffers, in MiB (beyond it, it evicts or "
       "spills to <file>.tmp); 0 means DuckDB's default, 80% of RAM.",
       SOI_FIELD(sinks.duckdb.memory_limit_mb)},
      {F::sinks, "duckdb.layout", one_of({"views", "tables"}),
       "views: each feed is a view over its Parquet files, stored once; tables: each feed is a table holding a "
       "copy of every day (a self-contained file, twice the commit work). With object_store.role primary the "
       "Parquet files are not local, so tables are used. Switching converts the database at the next start.",
       SOI_FIELD(sinks.duckdb.layout)},
      {F::sinks, "postgres.enabled", any(), "Also load every partition into PostgreSQL.",
       SOI_FIELD(sinks.postgres.enabled)},
      {F::sinks, "postgres.url_env", non_empty(),
       "Environment variable that holds the libpq connection string (never the string itself).",
       SOI_FIELD(sinks.postgres.url_env)},
      {F::sinks, "postgres.schema", non_empty(), "PostgreSQL schema holding soi's tables and view.",
       SOI_FIELD(sinks.postgres.schema)},
      {F::sinks, "postgres.connect_timeout_seconds", range(1, 600), "PostgreSQL connect timeout.",
       SOI_FIELD(sinks.postgres.connect_timeout_seconds)},
      {F::sinks, "clickhouse.enabled", any(), "Also load every partition into ClickHouse.",
       SOI_FIELD(sinks.clickhouse.enabled)},
      {F::sinks, "clickhouse.url", url(), "HTTP URL of the one ClickHouse server (when shards is empty).",
       SOI_FIELD(sinks.clickhouse.url)},
      {F::sinks, "clickhouse.shards", url(),
       "HTTP URLs of every shard of a ClickHouse cluster, one server per shard; overrides url.",
       SOI_FIELD(sinks.clickhouse.shards)},
      {F::sinks, "clickhouse.database", non_empty(), "ClickHouse database holding soi's tables and view.",
       SOI_FIELD(sinks.clickhouse.database)},
      {F::sinks, "clickhouse.user", non_empty(), "ClickHouse user.", SOI_FIELD(sinks.clickhouse.user)},
      {F::sinks, "clickhouse.password_env", non_empty(),
       "Name of the environment variable (or .env entry) holding the ClickHouse password.",
       SOI_FIELD(sinks.clickhouse.password_env)},
      {F::sinks, "clickhouse.cluster", any(),
       "Cluster name of the shards in the servers' remote_servers; required with two or more shards.",
       SOI_FIELD(sinks.clickhouse.cluster)},
      {F::sinks, "object_store.enabled", any(), "Also keep partitions and manifests in an S3-compatible bucket.",
       SOI_FIELD(sinks.object_store.enabled)},
      {F::sinks, "object_store.endpoint", url(), "S3 API endpoint, e.g. https://s3.amazonaws.com or http://127.0.0.1:9000.",
       SOI_FIELD(sinks.object_store.endpoint)},
      {F::sinks, "object_store.region", non_empty(), "Region the requests are signed for (SigV4).",
       SOI_FIELD(sinks.object_store.region)},
      {F::sinks, "object_store.bucket", any(), "Bucket name; required when the object store is enabled.",
       SOI_FIELD(sinks.object_store.bucket)},
      {F::sinks, "object_store.prefix", any(), "Key prefix inside the bucket; empty means the bucket's root.",
       SOI_FIELD(sinks.object_store.prefix)},
      {F::sinks, "object_store.path_style", any(),
       "Address the bucket in the path (MinIO, Ceph, Swift, loopback) instead of the host name.",
       SOI_FIELD(sinks.object_store.path_style)},
      {F::sinks, "object_store.role", one_of({"mirror", "primary"}),
       "mirror: local Parquet is the record and the bucket a copy; primary: the bucket is the record.",
       SOI_FIELD(sinks.object_store.role)},
      {F::sinks, "object_store.multipart_threshold_mb", range(0.01, 5120),
       "Objects at least this large (MiB) are uploaded in parts.", SOI_FIELD(sinks.object_store.multipart_threshold_mb)},
      {F::sinks, "object_store.multipart_part_mb", range(0.01, 5120),
       "Size of each upload part (MiB); S3 requires at least 5 for every part but the last.",
       SOI_FIELD(sinks.object_store.multipart_part_mb)},
      {F::sinks, "object_store.parallel_parts", range(1, 64), "Parts uploaded at once.",
       SOI_FIELD(sinks.object_store.parallel_parts)},

      // config/retry_policy.yaml
      {F::retry_policy, "max_attempts", range(1, 20), "Total tries per request, including the first.",
       SOI_FIELD(retry.max_attempts)},
      {F::retry_policy, "initial_backoff_ms", range(0, 3600000), "Wait before the first retry, in milliseconds.",
       SOI_FIELD(retry.initial_backoff_ms)},
      {F::retry_policy, "max_backoff_ms", range(0, 3600000),
       "Upper bound of any backoff, in milliseconds; at least initial_backoff_ms.", SOI_FIELD(retry.max_backoff_ms)},
      {F::retry_policy, "backoff_multiplier", range(1, 10), "Factor applied to the backoff after each retry.",
       SOI_FIELD(retry.backoff_multiplier)},
      {F::retry_policy, "jitter", range(0, 1), "Random +/- fraction applied to each backoff.",
       SOI_FIELD(retry.jitter)},
      {F::retry_policy, "respect_retry_after", any(), "Wait as long as a 429/503 Retry-After header asks.",
       SOI_FIELD(retry.respect_retry_after)},
      {F::retry_policy, "max_retry_after_seconds", range(0, 86400),
       "A longer Retry-After fails the request instead of waiting.", SOI_FIELD(retry.max_retry_after_seconds)},
      {F::retry_policy, "connect_timeout_seconds", range(1, 600), "TCP/TLS connect timeout.",
       SOI_FIELD(retry.connect_timeout_seconds)},
      {F::retry_policy, "request_timeout_seconds", range(1, 3600),
       "Whole-request timeout; at least connect_timeout_seconds.", SOI_FIELD(retry.request_timeout_seconds)},
      {F::retry_policy, "retry_on_status", range(400, 599), "HTTP statuses that are retried.",
       SOI_FIELD(retry.retry_on_status)},

      // config/simulator.yaml
      {F::simulator, "data", one_of({"synthetic", "replay"}),
       "Serve generated data, or replay a soi data directory.", SOI_FIELD(simulator.data)},
      {F::simulator, "replay_dir", non_empty(), "soi data directory replayed when data = replay.",
       SOI_FIELD(simulator.replay_dir)},
      {F::simulator, "seed", range(0, 4294967295.0), "Random seed: the same seed serves the same data.",
       SOI_FIELD(simulator.seed)},
      {F::simulator, "spy_open", range(1, 100000), "Synthetic SPY open on 2020-01-02, the anchor of the daily walk.",
       SOI_FIELD(simulator.spy_open)},
      {F::simulator, "vix_level", range(1, 200), "Synthetic VIX level around which the index moves.",
       SOI_FIELD(simulator.vix_level)},
      {F::simulator, "faults", non_empty(), "Fault specs injected into responses (see docs/simulator.md).",
       SOI_FIELD(simulator.faults)},
      {F::simulator, "ws_speed", range(0, 1000000),
       "Simulated seconds per wall-clock second of the clock (REST now and WebSocket); 0: as fast as the client "
       "reads.",
       SOI_FIELD(simulator.ws_speed)},
      {F::simulator, "ws_start", any(),
       "Start of the simulated clock, RFC 3339 (e.g. 2025-01-17T09:29:00-05:00); empty: now.",
       SOI_FIELD(simulator.ws_start)},
      {F::simulator, "ws_publish_delay_ms", range(0, 600000),
       "WebSocket: a second's events are sent this long (simulated ms) after the second closes.",
       SOI_FIELD(simulator.ws_publish_delay_ms)},
      {F::simulator, "ws_batch_max", range(1, 100000), "WebSocket: events per data frame at most.",
       SOI_FIELD(simulator.ws_batch_max)},
      {F::simulator, "ws_buffer_limit_kb", range(1, 4194304),
       "WebSocket: outbound buffer per connection in KB; a client that lets it overflow gets slow_consumer and a "
       "close.",
       SOI_FIELD(simulator.ws_buffer_limit_kb)},
      {F::simulator, "ws_max_connections", range(1, 10000),
       "WebSocket: simultaneous connections per market and API key; one more gets max_connections and a close.",
       SOI_FIELD(simulator.ws_max_connections)},
      {F::simulator, "ws_auth_timeout_ms", range(1, 3600000),
       "WebSocket: a connection that sends no auth message within this time gets auth_timeout and a close.",
       SOI_FIELD(simulator.ws_auth_timeout_ms)},
  };
}

#undef SOI_FIELD

std::string upper_snake(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// "1", "0.5", "4294967295": bounds print without a trailing ".000000".
std::string number(double value) { return fmt::format("{}", value); }

}  // namespace

std::string_view file_stem(ConfigFile file) {
  switch (file) {
    case ConfigFile::settings: return "settings";
    case ConfigFile::sources: return "sources";
    case ConfigFile::sinks: return "sinks";
    case ConfigFile::retry_policy: return "retry_policy";
    case ConfigFile::simulator: return "simulator";
  }
  return "unknown";
}

std::string file_name(ConfigFile file) { return std::string(file_stem(file)) + ".yaml"; }

std::string env_prefix(ConfigFile file) { return "SOI_" + upper_snake(file_stem(file)) + "_"; }

std::string SettingSpec::env_name() const { return env_prefix(file) + upper_snake(key); }

bool SettingSpec::is_list() const {
  Config probe;
  FieldRef ref = field(probe);
  return std::holds_alternative<std::vector<int>*>(ref) || std::holds_alternative<std::vector<std::string>*>(ref);
}

std::string SettingSpec::expectation() const {
  Config probe;
  FieldRef ref = field(probe);
  const bool list = is_list();
  const bool integral = std::holds_alternative<int*>(ref) || std::holds_alternative<unsigned*>(ref) ||
                        std::holds_alternative<std::vector<int>*>(ref);
  std::string what;
  if (std::holds_alternative<bool*>(ref)) return "true or false";
  if (integral || std::holds_alternative<double*>(ref)) {
    what = integral ? (list ? "integers" : "an integer") : "a number";
    if (allowed.kind == AllowedKind::range)
      what += fmt::format(" from {} to {}", number(allowed.min), number(allowed.max));
  } else {
    switch (allowed.kind) {
      case AllowedKind::one_of: {
        std::string joined;
        for (const auto& choice : allowed.choices) joined += (joined.empty() ? "" : ", ") + choice;
        what = "one of: " + joined;
        break;
      }
      case AllowedKind::url: what = list ? "http:// or https:// URLs" : "an http:// or https:// URL"; break;
      case AllowedKind::ws_url: what = "empty or a ws:// or wss:// URL"; break;
      case AllowedKind::clock_time: what = "a time HH:MM from 00:00 to 23:59"; break;
      case AllowedKind::ticker: what = "a ticker of 1 to 10 upper-case letters, digits or dots"; break;
      case AllowedKind::non_empty: what = list ? "non-empty strings" : "a non-empty string"; break;
      default: what = list ? "strings" : "a string"; break;
    }
  }
  return list ? "a list of " + what : what;
}

const std::vector<SettingSpec>& schema() {
  static const std::vector<SettingSpec> table = build_schema();
  return table;
}

const SettingSpec* find_setting(ConfigFile file, std::string_view key) {
  for (const auto& spec : schema())
    if (spec.file == file && spec.key == key) return &spec;
  return nullptr;
}

bool is_section(ConfigFile file, std::string_view prefix) {
  if (prefix.empty()) return true;
  const std::string dotted = std::string(prefix) + '.';
  return std::any_of(schema().begin(), schema().end(),
                     [&](const SettingSpec& s) { return s.file == file && s.key.starts_with(dotted); });
}

std::vector<std::string> keys_below(ConfigFile file, std::string_view section) {
  const std::string dotted = section.empty() ? "" : std::string(section) + '.';
  std::vector<std::string> names;
  for (const auto& spec : schema()) {
    if (spec.file != file || !spec.key.starts_with(dotted)) continue;
    std::string rest = spec.key.substr(dotted.size());
    std::string name = rest.substr(0, rest.find('.'));
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

}  // namespace soi::config
