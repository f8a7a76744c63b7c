// load_config from YAML: defaults, the repository's config/ files, and every kind
// of error message. Environment overrides are in config_env_test.cpp.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config_test_support.hpp"
#include "utils/error.hpp"

namespace soi {
namespace {

using testing::EnvGuard;
using testing::TempDir;

class ConfigTest : public ::testing::Test {
 protected:
  // The message load_config throws for `dir` (empty when it loads), checking it is
  // a config error on the way.
  std::string load_error() {
    try {
      load_config(dir.str());
    } catch (const SoiError& e) {
      EXPECT_EQ(e.category(), ErrorCategory::config);
      return e.message();
    }
    return "";
  }
  std::string error_for(const std::string& file, const std::string& yaml) {
    dir.write(file, yaml);
    return load_error();
  }
  std::string path(const std::string& file) const { return dir.file(file); }

  EnvGuard env;
  TempDir dir;
};

TEST_F(ConfigTest, RepositoryConfigEqualsStructDefaults) {
  // config/*.yaml document the defaults; this keeps them and config.hpp in step.
  const Config loaded = load_config(SOI_SOURCE_DIR "/config");
  EXPECT_EQ(dump_config(loaded), dump_config(Config{}));
  EXPECT_EQ(loaded.config_dir, SOI_SOURCE_DIR "/config");
}

TEST_F(ConfigTest, MissingFilesMeanDefaults) {
  const Config loaded = load_config(dir.str());
  EXPECT_EQ(dump_config(loaded), dump_config(Config{}));
  EXPECT_EQ(loaded.config_dir, dir.str());
}

TEST_F(ConfigTest, EmptyAndCommentOnlyFilesMeanDefaults) {
  dir.write("settings.yaml", "");
  dir.write("sinks.yaml", "# nothing here\n");
  dir.write("sources.yaml", "spy:\n");
  EXPECT_EQ(dump_config(load_config(dir.str())), dump_config(Config{}));
}

TEST_F(ConfigTest, OversizedFileIsRefusedUnread) {
  // A comment line is valid YAML, so only the size can be the reason.
  const std::string error = error_for("settings.yaml", "# " + std::string((1u << 20) + 1, 'x') + "\n");
  EXPECT_NE(error.find(path("settings.yaml") + ": is 1048580 bytes, larger than the 1 MiB"), std::string::npos)
      << error;
}

TEST_F(ConfigTest, MissingDirectoryIsAnError) {
  const std::string missing = dir.file("nope");
  try {
    load_config(missing);
    FAIL() << "expected an error";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::config);
    EXPECT_NE(e.message().find("config directory '" + missing + "' does not exist"), std::string::npos)
        << e.message();
  }
}

TEST_F(ConfigTest, ReadsEveryKindOfValue) {
  dir.write("settings.yaml", "data_dir: /srv/soi\nlog_level: debug\nsession_end: \"13:00\"\n"
                             "late_data:\n  streaming_policy: accept\n  max_lateness_days: 2\n");
  dir.write("sources.yaml", "rest_base_url: http://127.0.0.1:8080/\nspy:\n  page_limit: 5000\n"
                            "  adjusted: false\ncalendar:\n  use_market_status_api: no\n");
  dir.write("sinks.yaml", "parquet:\n  compression: snappy\n  compression_level: 9\n");
  dir.write("retry_policy.yaml", "max_attempts: 5\njitter: 0\nbackoff_multiplier: 1.5\n"
                                 "retry_on_status:\n  - 429\n  - 503\n");
  dir.write("simulator.yaml", "data: replay\nseed: 4294967295\nfaults: [\"status=500\", drop]\n");
  const Config c = load_config(dir.str());
  EXPECT_EQ(c.settings.data_dir, "/srv/soi");
  EXPECT_EQ(c.settings.log_level, "debug");
  EXPECT_EQ(c.settings.session_end, "13:00");
  EXPECT_EQ(c.settings.late_data.streaming_policy, "accept");
  EXPECT_EQ(c.settings.late_data.max_lateness_days, 2);
  EXPECT_EQ(c.sources.rest_base_url, "http://127.0.0.1:8080");  // trailing slash dropped
  EXPECT_EQ(c.sources.spy.page_limit, 5000);
  EXPECT_FALSE(c.sources.spy.adjusted);
  EXPECT_FALSE(c.sources.calendar.use_market_status_api);
  EXPECT_EQ(c.sinks.parquet.compression, "snappy");
  EXPECT_EQ(c.sinks.parquet.compression_level, 9);
  EXPECT_EQ(c.retry.max_attempts, 5);
  EXPECT_DOUBLE_EQ(c.retry.jitter, 0.0);
  EXPECT_DOUBLE_EQ(c.retry.backoff_multiplier, 1.5);
  EXPECT_EQ(c.retry.retry_on_status, (std::vector<int>{429, 503}));
  EXPECT_EQ(c.simulator.data, "replay");
  EXPECT_EQ(c.simulator.seed, 4294967295u);
  EXPECT_EQ(c.simulator.faults, (std::vector<std::string>{"status=500", "drop"}));
  // Untouched settings keep their defaults.
  EXPECT_EQ(c.settings.progress, "auto");
  EXPECT_EQ(c.retry.max_backoff_ms, 30000);
}

TEST_F(ConfigTest, UnknownKeySuggestsTheClosestName) {
  EXPECT_EQ(error_for("settings.yaml", "log_levl: info\n"),
            path("settings.yaml") + ": unknown key 'log_levl' (did you mean 'log_level'?)");
  EXPECT_EQ(error_for("settings.yaml", "late_data:\n  streaming_polcy: accept\n"),
            path("settings.yaml") + ": unknown key 'late_data.streaming_polcy' (did you mean "
                                    "'late_data.streaming_policy'?)");
}

TEST_F(ConfigTest, UnknownKeyAtTheWrongLevelOrFilePointsToIt) {
  EXPECT_EQ(error_for("sources.yaml", "page_limit: 100\n"),
            path("sources.yaml") + ": unknown key 'page_limit' (did you mean 'spy.page_limit'?)");
  EXPECT_EQ(error_for("sources.yaml", "max_attempts: 4\n"),
            path("sources.yaml") + ": unknown key 'max_attempts' (did you mean 'max_attempts' in retry_policy.yaml?)");
}

TEST_F(ConfigTest, UnknownKeyWithoutNearNameListsTheAllowedOnes) {
  EXPECT_EQ(error_for("sinks.yaml", "parquet:\n  format: arrow\n"),
            path("sinks.yaml") + ": unknown key 'parquet.format' (allowed in parquet: compression, "
                                 "compression_level, row_group_size)");
}

TEST_F(ConfigTest, WrongTypeNamesFileKeyAndWhatIsAllowed) {
  EXPECT_EQ(error_for("retry_policy.yaml", "max_attempts: three\n"),
            path("retry_policy.yaml") + ": max_attempts: expected an integer from 1 to 20, got \"three\"");
  EXPECT_EQ(error_for("retry_policy.yaml", "max_attempts: 2.5\n"),
            path("retry_policy.yaml") + ": max_attempts: expected an integer from 1 to 20, got \"2.5\"");
  EXPECT_EQ(error_for("sources.yaml", "spy:\n  enabled: maybe\n"),
            path("sources.yaml") + ": spy.enabled: expected true or false, got \"maybe\"");
  dir.write("sources.yaml", "");
  EXPECT_EQ(error_for("retry_policy.yaml", "jitter: lots\n"),
            path("retry_policy.yaml") + ": jitter: expected a number from 0 to 1, got \"lots\"");
}

TEST_F(ConfigTest, WrongShapeIsRefused) {
  EXPECT_EQ(error_for("retry_policy.yaml", "max_attempts: [1, 2]\n"),
            path("retry_policy.yaml") + ": max_attempts: expected an integer from 1 to 20, got a list");
  EXPECT_EQ(error_for("retry_policy.yaml", "retry_on_status: 429\n"),
            path("retry_policy.yaml") + ": retry_on_status: expected a list of integers from 400 to 599, got \"429\"");
  EXPECT_EQ(error_for("retry_policy.yaml", "max_attempts:\n"),
            path("retry_policy.yaml") + ": max_attempts: expected an integer from 1 to 20, got an empty value");
  dir.write("retry_policy.yaml", "");
  EXPECT_EQ(error_for("settings.yaml", "late_data: accept\n"),
            path("settings.yaml") + ": late_data: expected a mapping with keys streaming_policy, max_lateness_days, "
                                    "got \"accept\"");
  EXPECT_EQ(error_for("settings.yaml", "- data_dir\n"),
            path("settings.yaml") + ": expected a mapping of settings (key: value lines), got a list");
}

TEST_F(ConfigTest, OutOfRangeValuesAreRefused) {
  EXPECT_EQ(error_for("sources.yaml", "spy:\n  page_limit: 50001\n"),
            path("sources.yaml") + ": spy.page_limit: expected an integer from 1 to 50000, got \"50001\"");
  dir.write("sources.yaml", "");
  EXPECT_EQ(error_for("retry_policy.yaml", "max_attempts: 0\n"),
            path("retry_policy.yaml") + ": max_attempts: expected an integer from 1 to 20, got \"0\"");
  EXPECT_EQ(error_for("retry_policy.yaml", "initial_backoff_ms: -1\n"),
            path("retry_policy.yaml") + ": initial_backoff_ms: expected an integer from 0 to 3600000, got \"-1\"");
  EXPECT_EQ(error_for("retry_policy.yaml", "jitter: 1.5\n"),
            path("retry_policy.yaml") + ": jitter: expected a number from 0 to 1, got \"1.5\"");
  EXPECT_EQ(error_for("retry_policy.yaml", "connect_timeout_seconds: 0\n"),
            path("retry_policy.yaml") + ": connect_timeout_seconds: expected an integer from 1 to 600, got \"0\"");
  EXPECT_EQ(error_for("retry_policy.yaml", "retry_on_status: [429, 200]\n"),
            path("retry_policy.yaml") +
                ": retry_on_status: expected a list of integers from 400 to 599, got \"200\" (item 2)");
  dir.write("retry_policy.yaml", "");
  EXPECT_EQ(error_for("sinks.yaml", "parquet:\n  compression_level: 23\n"),
            path("sinks.yaml") + ": parquet.compression_level: expected an integer from 1 to 22, got \"23\"");
}

TEST_F(ConfigTest, BadEnumsUrlsAndTimesAreRefused) {
  EXPECT_EQ(error_for("settings.yaml", "log_level: verbose\n"),
            path("settings.yaml") + ": log_level: expected one of: trace, debug, info, warn, error, got \"verbose\"");
  EXPECT_EQ(error_for("settings.yaml", "progress: sometimes\n"),
            path("settings.yaml") + ": progress: expected one of: auto, always, never, got \"sometimes\"");
  EXPECT_EQ(error_for("settings.yaml", "late_data:\n  streaming_policy: drop\n"),
            path("settings.yaml") + ": late_data.streaming_policy: expected one of: reject, accept, got \"drop\"");
  EXPECT_EQ(error_for("settings.yaml", "session_start: \"9:30\"\n"),
            path("settings.yaml") + ": session_start: expected a time HH:MM from 00:00 to 23:59, got \"9:30\"");
  EXPECT_EQ(error_for("settings.yaml", "session_end: \"24:00\"\n"),
            path("settings.yaml") + ": session_end: expected a time HH:MM from 00:00 to 23:59, got \"24:00\"");
  dir.write("settings.yaml", "");
  EXPECT_EQ(error_for("sinks.yaml", "parquet:\n  compression: lz4\n"),
            path("sinks.yaml") +
                ": parquet.compression: expected one of: zstd, snappy, gzip, uncompressed, got \"lz4\"");
  dir.write("sinks.yaml", "");
  EXPECT_EQ(error_for("sources.yaml", "rest_base_url: api.massive.com\n"),
            path("sources.yaml") + ": rest_base_url: expected an http:// or https:// URL, got \"api.massive.com\"");
  EXPECT_EQ(error_for("sources.yaml", "spy:\n  ticker: spy\n"),
            path("sources.yaml") + ": spy.ticker: expected a ticker of 1 to 10 upper-case letters, digits or dots, "
                                   "got \"spy\"");
  dir.write("sources.yaml", "");
  EXPECT_EQ(error_for("simulator.yaml", "data: live\n"),
            path("simulator.yaml") + ": data: expected one of: synthetic, replay, got \"live\"");
}

TEST_F(ConfigTest, RulesBetweenSettingsBlameTheChangedOne) {
  EXPECT_EQ(error_for("settings.yaml", "session_start: \"16:00\"\n"),
            path("settings.yaml") + ": session_start: expected a time earlier than session_end (\"16:00\"), "
                                    "got \"16:00\"");
  EXPECT_EQ(error_for("settings.yaml", "session_start: \"10:00\"\nsession_end: \"09:00\"\n"),
            path("settings.yaml") + ": session_end: expected a time later than session_start (\"10:00\"), "
                                    "got \"09:00\"");
  dir.write("settings.yaml", "");
  EXPECT_EQ(error_for("retry_policy.yaml", "max_backoff_ms: 100\n"),
            path("retry_policy.yaml") + ": max_backoff_ms: expected at least initial_backoff_ms (500), "
                                        "got 100");
  EXPECT_EQ(error_for("retry_policy.yaml", "request_timeout_seconds: 5\n"),
            path("retry_policy.yaml") + ": request_timeout_seconds: expected at least "
                                        "connect_timeout_seconds (10), got 5");
}

TEST_F(ConfigTest, StreamAndWebSocketDefaultsComeFromTheRepositoryConfig) {
  const Config c = load_config(SOI_SOURCE_DIR "/config");
  EXPECT_EQ(c.settings.stream.commit_interval_seconds, 60);
  EXPECT_EQ(c.settings.stream.heartbeat_interval_seconds, 300);
  EXPECT_EQ(c.settings.stream.stale_heartbeat_seconds, 900);
  EXPECT_EQ(c.settings.stream.queue_capacity_batches, 1024);
  EXPECT_EQ(c.settings.stream.queue_policy, "spill");
  EXPECT_EQ(c.settings.stream.wal_sync_ms, 1000);
  EXPECT_EQ(c.settings.stream.news_poll_seconds, 300);
  EXPECT_EQ(c.settings.stream.connect_before_open_seconds, 60);
  EXPECT_EQ(c.settings.stream.close_grace_seconds, 5);
  EXPECT_EQ(c.settings.stream.open_wait_seconds, 30);
  EXPECT_EQ(c.settings.stream.clock, "system");
  EXPECT_TRUE(c.settings.stream.backfill_after_close);
  EXPECT_EQ(c.sources.websocket.provider, "massive");
  EXPECT_EQ(c.sources.websocket.feed, "realtime");
  EXPECT_EQ(c.sources.websocket.base_url, "");
  EXPECT_EQ(c.sources.websocket.max_subscriptions_per_connection, 100);
  EXPECT_EQ(c.sources.websocket.max_connections_per_market, 1);
}

TEST_F(ConfigTest, ReadsStreamAndWebSocketSettings) {
  dir.write("settings.yaml", "stream:\n  queue_policy: drop_oldest\n  wal_sync_ms: 0\n  clock: server\n"
                             "  backfill_after_close: false\n");
  dir.write("sources.yaml", "websocket:\n  provider: polygon\n  feed: delayed\n  base_url: ws://127.0.0.1:9\n"
                            "  max_subscriptions_per_connection: 1000\n");
  Config c = load_config(dir.str());
  EXPECT_EQ(c.settings.stream.queue_policy, "drop_oldest");
  EXPECT_EQ(c.settings.stream.wal_sync_ms, 0);
  EXPECT_EQ(c.settings.stream.clock, "server");
  EXPECT_FALSE(c.settings.stream.backfill_after_close);
  EXPECT_EQ(c.sources.websocket.provider, "polygon");
  EXPECT_EQ(c.sources.websocket.feed, "delayed");
  EXPECT_EQ(c.sources.websocket.base_url, "ws://127.0.0.1:9");
  EXPECT_EQ(c.sources.websocket.max_subscriptions_per_connection, 1000);
  dir.write("sources.yaml", "websocket:\n  base_url: \"wss://socket.example.com/\"\n");
  EXPECT_EQ(load_config(dir.str()).sources.websocket.base_url, "wss://socket.example.com");  // slash dropped
  dir.write("sources.yaml", "websocket:\n  base_url: \"\"\n");
  EXPECT_EQ(load_config(dir.str()).sources.websocket.base_url, "");
}

TEST_F(ConfigTest, BadStreamAndWebSocketSettingsAreRefused) {
  EXPECT_EQ(error_for("settings.yaml", "stream:\n  queue_policy: lossy\n"),
            path("settings.yaml") + ": stream.queue_policy: expected one of: spill, block, drop_oldest, got \"lossy\"");
  EXPECT_EQ(error_for("settings.yaml", "stream:\n  commit_interval_seconds: 0\n"),
            path("settings.yaml") + ": stream.commit_interval_seconds: expected an integer from 1 to 3600, got \"0\"");
  dir.write("settings.yaml", "");
  EXPECT_EQ(error_for("sources.yaml", "websocket:\n  base_url: http://x\n"),
            path("sources.yaml") + ": websocket.base_url: expected empty or a ws:// or wss:// URL, got \"http://x\"");
  EXPECT_EQ(error_for("sources.yaml", "websocket:\n  base_url: \"ws://\"\n"),
            path("sources.yaml") + ": websocket.base_url: expected empty or a ws:// or wss:// URL, got \"ws://\"");
  EXPECT_EQ(error_for("sources.yaml", "websocket:\n  feed: live\n"),
            path("sources.yaml") + ": websocket.feed: expected one of: realtime, delayed, got \"live\"");
  EXPECT_EQ(error_for("sources.yaml", "websocket:\n  max_subscriptions_per_connection: 1001\n"),
            path("sources.yaml") + ": websocket.max_subscriptions_per_connection: expected an integer from 1 to "
                                   "1000, got \"1001\"");
}

TEST_F(ConfigTest, StaleHeartbeatMustExceedTheHeartbeatInterval) {
  EXPECT_EQ(error_for("settings.yaml", "stream:\n  stale_heartbeat_seconds: 300\n"),
            path("settings.yaml") + ": stream.stale_heartbeat_seconds: expected more than "
                                    "stream.heartbeat_interval_seconds (300), got 300");
  EXPECT_EQ(error_for("settings.yaml", "stream:\n  heartbeat_interval_seconds: 1000\n"),
            path("settings.yaml") + ": stream.heartbeat_interval_seconds: expected less than "
                                    "stream.stale_heartbeat_seconds (900), got 1000");
  EXPECT_EQ(error_for("settings.yaml", "stream:\n  heartbeat_interval_seconds: 10\n  stale_heartbeat_seconds: 11\n"),
            "");
}

TEST_F(ConfigTest, AnEnabledObjectStoreNeedsAValidBucket) {
  EXPECT_EQ(error_for("sinks.yaml", "object_store:\n  enabled: true\n"),
            path("sinks.yaml") +
                ": object_store.bucket (default): a bucket is required when object_store.enabled is true");
  EXPECT_EQ(error_for("sinks.yaml", "object_store:\n  enabled: true\n  bucket: Market_Data\n"),
            path("sinks.yaml") + ": object_store.bucket: expected a bucket name of 3 to 63 lower-case letters, "
                                 "digits, '.' or '-' starting and ending with a letter or digit, got \"Market_Data\"");
  EXPECT_EQ(error_for("sinks.yaml", "object_store:\n  enabled: true\n  bucket: market-data\n  prefix: a/../b\n"),
            path("sinks.yaml") + ": object_store.prefix: expected a key prefix of plain segments (no '//', '..' or "
                                 "'\\'), got \"a/../b\"");
  EXPECT_EQ(error_for("sinks.yaml", "object_store:\n  role: backup\n"),
            path("sinks.yaml") + ": object_store.role: expected one of: mirror, primary, got \"backup\"");
  // Disabled, nothing is required.
  EXPECT_EQ(error_for("sinks.yaml", "object_store:\n  enabled: false\n"), "");
  EXPECT_EQ(error_for("sinks.yaml",
                      "object_store:\n  enabled: true\n  bucket: market-data\n  prefix: soi/prod\n"
                      "  endpoint: http://127.0.0.1:9000\n  path_style: true\n  role: primary\n"),
            "");
}

TEST_F(ConfigTest, CloudCredentialsInYamlAreRefusedNamingTheAwsVariables) {
  const std::string value = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY";
  const std::string message =
      error_for("sinks.yaml", "object_store:\n  secret_access_key: " + value + "\n");
  EXPECT_EQ(message, path("sinks.yaml") + ": object_store.secret_access_key: secrets are not read from YAML files; "
                                          "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for "
                                          "temporary credentials) in the environment or in a git-ignored .env file");
  EXPECT_EQ(message.find(value), std::string::npos);
}

TEST_F(ConfigTest, ClickHouseShardsNeedAClusterAndItsPasswordIsNeverReadFromYaml) {
  EXPECT_EQ(error_for("sinks.yaml", "clickhouse:\n  enabled: true\n  shards: [http://a:8123, http://b:8123]\n"),
            path("sinks.yaml") + ": clickhouse.cluster (default): a cluster name (from the servers' remote_servers) "
                                 "is required with 2 shards");
  EXPECT_EQ(error_for("sinks.yaml", "clickhouse:\n  enabled: true\n  database: \"soi; DROP\"\n"),
            path("sinks.yaml") + ": clickhouse.database: expected letters, digits or '_', got \"soi; DROP\"");
  EXPECT_EQ(error_for("sinks.yaml", "clickhouse:\n  shards: [ftp://a]\n").find("clickhouse.shards"), path("sinks.yaml").size() + 2);
  EXPECT_EQ(error_for("sinks.yaml", "clickhouse:\n  enabled: true\n  shards: [http://a:8123, http://b:8123]\n"
                                    "  cluster: soi_cluster\n"),
            "");
  const std::string value = "hunter2-clickhouse";
  const std::string message = error_for("sinks.yaml", "clickhouse:\n  password: " + value + "\n");
  EXPECT_EQ(message, path("sinks.yaml") + ": clickhouse.password: secrets are not read from YAML files; set the "
                                          "variable named by clickhouse.password_env (SOI_CLICKHOUSE_PASSWORD by "
                                          "default) in the environment or in a git-ignored .env file");
  EXPECT_EQ(message.find(value), std::string::npos);
}

TEST_F(ConfigTest, SecretsInYamlAreRefusedWithoutEchoingThem) {
  const std::string value = "Zq8uPk2VvSECRETvalue99";
  const std::string advice = ": secrets are not read from YAML files; set MASSIVE_API_KEY (or POLYGON_API_KEY) "
                             "in the environment or in a git-ignored .env file";
  std::string message = error_for("sources.yaml", "api_key: " + value + "\n");
  EXPECT_EQ(message, path("sources.yaml") + ": api_key" + advice);
  // Reported even when an earlier line has another error, at any depth, any spelling.
  message = error_for("sources.yaml", "bogus: 1\nspy:\n  apiKey: \"" + value + "\"\n");
  EXPECT_EQ(message, path("sources.yaml") + ": spy.apiKey" + advice);
  message = error_for("sources.yaml", "calendar:\n  extra:\n    DB_PASSWORD: " + value + "\n");
  EXPECT_EQ(message, path("sources.yaml") + ": calendar.extra.DB_PASSWORD" + advice);
  dir.write("sources.yaml", "");
  message = error_for("simulator.yaml", "faults:\n  - token: " + value + "\n");
  EXPECT_EQ(message, path("simulator.yaml") + ": faults[0].token" + advice);
  for (const char* name : {"key", "secret", "passwd", "credentials", "Access-Token"}) {
    message = error_for("settings.yaml", std::string(name) + ": " + value + "\n");
    EXPECT_EQ(message, path("settings.yaml") + ": " + name + advice);
    EXPECT_EQ(message.find(value), std::string::npos);
  }
}

TEST_F(ConfigTest, YamlSyntaxErrorsGiveLineAndColumn) {
  const std::string message = error_for("settings.yaml", "data_dir: ./data\nlog_level: [info\nprogress: auto\n");
  EXPECT_TRUE(message.starts_with(path("settings.yaml") + ": YAML syntax error at line ")) << message;
  EXPECT_NE(message.find(", column "), std::string::npos) << message;
  const std::string tab = error_for("settings.yaml", "late_data:\n\tstreaming_policy: accept\n");
  EXPECT_TRUE(tab.starts_with(path("settings.yaml") + ": YAML syntax error at line 2")) << tab;
}

TEST_F(ConfigTest, TextTheYamlParserCannotReadIsASyntaxErrorNotAHang) {
  // yaml-cpp 0.7's LoadAll never returned on these (found by the config fuzz target).
  for (const std::string text : {"&eed:OI_SIMULATTS=sloOR_FAULTS=slow:dela_s1my=0,drop", ",\n", "&x:y,z"}) {
    const std::string message = error_for("settings.yaml", text);
    EXPECT_TRUE(message.starts_with(path("settings.yaml") + ": YAML syntax error")) << text << ": " << message;
  }
  // Empty documents around real ones still count as before.
  EXPECT_EQ(error_for("settings.yaml", "log_level: info\n---\n"),
            path("settings.yaml") + ": holds more than one YAML document ('---'); keep all settings in one");
  EXPECT_EQ(error_for("settings.yaml", "---\n---\nlog_level: info\n"), "");  // first document empty: defaults
}

TEST_F(ConfigTest, DuplicateKeysAndMultipleDocumentsAreRefused) {
  EXPECT_EQ(error_for("settings.yaml", "log_level: info\nlog_level: debug\n"),
            path("settings.yaml") + ": log_level: duplicate key");
  EXPECT_EQ(error_for("settings.yaml", "log_level: info\n---\nlog_level: debug\n"),
            path("settings.yaml") + ": holds more than one YAML document ('---'); keep all settings in one");
}

}  // namespace
}  // namespace soi
