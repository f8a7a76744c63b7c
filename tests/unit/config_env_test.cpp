// SOI_* environment overrides on top of config/*.yaml.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config_test_support.hpp"
#include "utils/error.hpp"

namespace soi {
namespace {

using testing::EnvGuard;
using testing::TempDir;

class ConfigEnvTest : public ::testing::Test {
 protected:
  std::string load_error() {
    try {
      load_config(dir.str());
    } catch (const SoiError& e) {
      EXPECT_EQ(e.category(), ErrorCategory::config);
      return e.message();
    }
    return "";
  }

  EnvGuard env;
  TempDir dir;
};

TEST_F(ConfigEnvTest, OverridesWinOverFilesAndDefaults) {
  dir.write("sources.yaml", "spy:\n  page_limit: 5000\n");
  env.set("SOI_SETTINGS_DATA_DIR", "/mnt/soi");
  env.set("SOI_SETTINGS_LATE_DATA_STREAMING_POLICY", "accept");
  env.set("SOI_SOURCES_REST_BASE_URL", "http://127.0.0.1:9000/");
  env.set("SOI_SOURCES_SPY_PAGE_LIMIT", "100");
  env.set("SOI_SOURCES_CALENDAR_USE_MARKET_STATUS_API", "false");
  env.set("SOI_SINKS_PARQUET_COMPRESSION", "gzip");
  env.set("SOI_RETRY_POLICY_MAX_ATTEMPTS", "7");
  env.set("SOI_RETRY_POLICY_JITTER", "0.5");
  env.set("SOI_RETRY_POLICY_RETRY_ON_STATUS", "429, 503");
  env.set("SOI_SIMULATOR_SEED", "7");
  env.set("SOI_SIMULATOR_FAULTS", "a,b");
  const Config c = load_config(dir.str());
  EXPECT_EQ(c.settings.data_dir, "/mnt/soi");
  EXPECT_EQ(c.settings.late_data.streaming_policy, "accept");
  EXPECT_EQ(c.sources.rest_base_url, "http://127.0.0.1:9000");
  EXPECT_EQ(c.sources.spy.page_limit, 100);
  EXPECT_FALSE(c.sources.calendar.use_market_status_api);
  EXPECT_EQ(c.sinks.parquet.compression, "gzip");
  EXPECT_EQ(c.retry.max_attempts, 7);
  EXPECT_DOUBLE_EQ(c.retry.jitter, 0.5);
  EXPECT_EQ(c.retry.retry_on_status, (std::vector<int>{429, 503}));
  EXPECT_EQ(c.simulator.seed, 7u);
  EXPECT_EQ(c.simulator.faults, (std::vector<std::string>{"a", "b"}));
}

TEST_F(ConfigEnvTest, StreamAndWebSocketSettingsCanBeOverridden) {
  env.set("SOI_SETTINGS_STREAM_QUEUE_POLICY", "block");
  env.set("SOI_SOURCES_WEBSOCKET_BASE_URL", "ws://127.0.0.1:9/");
  const Config c = load_config(dir.str());
  EXPECT_EQ(c.settings.stream.queue_policy, "block");
  EXPECT_EQ(c.sources.websocket.base_url, "ws://127.0.0.1:9");
  env.set("SOI_SOURCES_WEBSOCKET_BASE_URL", "");
  EXPECT_EQ(load_config(dir.str()).sources.websocket.base_url, "");
  env.set("SOI_SETTINGS_STREAM_CLOCK", "ntp");
  EXPECT_EQ(load_error(), "environment variable SOI_SETTINGS_STREAM_CLOCK: expected one of: system, server, "
                          "got \"ntp\"");
}

TEST_F(ConfigEnvTest, EmptyListVariableMeansEmptyList) {
  env.set("SOI_RETRY_POLICY_RETRY_ON_STATUS", "");
  EXPECT_TRUE(load_config(dir.str()).retry.retry_on_status.empty());
}

TEST_F(ConfigEnvTest, InvalidValueNamesTheVariable) {
  env.set("SOI_RETRY_POLICY_MAX_ATTEMPTS", "three");
  EXPECT_EQ(load_error(), "environment variable SOI_RETRY_POLICY_MAX_ATTEMPTS: expected an integer from 1 to 20, "
                          "got \"three\"");
  env.set("SOI_RETRY_POLICY_MAX_ATTEMPTS", "3");
  env.set("SOI_SETTINGS_PROGRESS", "loud");
  EXPECT_EQ(load_error(), "environment variable SOI_SETTINGS_PROGRESS: expected one of: auto, always, never, "
                          "got \"loud\"");
  env.set("SOI_SETTINGS_PROGRESS", "never");
  env.set("SOI_RETRY_POLICY_RETRY_ON_STATUS", "429,,503");
  EXPECT_EQ(load_error(), "environment variable SOI_RETRY_POLICY_RETRY_ON_STATUS: expected a list of integers "
                          "from 400 to 599, got \"\" (item 2)");
}

TEST_F(ConfigEnvTest, RulesBetweenSettingsNameTheVariable) {
  dir.write("retry_policy.yaml", "initial_backoff_ms: 1000\n");
  env.set("SOI_RETRY_POLICY_MAX_BACKOFF_MS", "999");
  EXPECT_EQ(load_error(), "environment variable SOI_RETRY_POLICY_MAX_BACKOFF_MS: expected at least "
                          "initial_backoff_ms (1000), got 999");
  env.set("SOI_RETRY_POLICY_MAX_BACKOFF_MS", "30000");
  env.set("SOI_SETTINGS_SESSION_START", "17:00");
  EXPECT_EQ(load_error(), "environment variable SOI_SETTINGS_SESSION_START: expected a time earlier than "
                          "session_end (\"16:00\"), got \"17:00\"");
  env.set("SOI_SETTINGS_SESSION_START", "09:30");
  env.set("SOI_SETTINGS_STREAM_HEARTBEAT_INTERVAL_SECONDS", "900");
  EXPECT_EQ(load_error(), "environment variable SOI_SETTINGS_STREAM_HEARTBEAT_INTERVAL_SECONDS: expected less than "
                          "stream.stale_heartbeat_seconds (900), got 900");
}

TEST_F(ConfigEnvTest, UnknownSettingVariableIsATypo) {
  env.set("SOI_SETTINGS_LOG_LEVL", "debug");
  EXPECT_EQ(load_error(), "environment variable SOI_SETTINGS_LOG_LEVL names no setting "
                          "(did you mean SOI_SETTINGS_LOG_LEVEL?)");
}

TEST_F(ConfigEnvTest, UnknownSettingVariableWithoutNearNameListsTheFile) {
  env.set("SOI_SIMULATOR_WEBSOCKET_PORT_NUMBER", "x");
  EXPECT_EQ(load_error(), "environment variable SOI_SIMULATOR_WEBSOCKET_PORT_NUMBER names no setting (simulator.yaml "
                          "settings are SOI_SIMULATOR_DATA, SOI_SIMULATOR_REPLAY_DIR, SOI_SIMULATOR_SEED, "
                          "SOI_SIMULATOR_SPY_OPEN, SOI_SIMULATOR_VIX_LEVEL, SOI_SIMULATOR_FAULTS, "
                          "SOI_SIMULATOR_WS_SPEED, SOI_SIMULATOR_WS_START, SOI_SIMULATOR_WS_PUBLISH_DELAY_MS, "
                          "SOI_SIMULATOR_WS_BATCH_MAX, SOI_SIMULATOR_WS_BUFFER_LIMIT_KB, "
                          "SOI_SIMULATOR_WS_MAX_CONNECTIONS, SOI_SIMULATOR_WS_AUTH_TIMEOUT_MS)");
}

TEST_F(ConfigEnvTest, SecretInSettingVariableIsRefusedWithoutTheValue) {
  const std::string value = "Zq8uPk2VvSECRETvalue99";
  env.set("SOI_SOURCES_API_KEY", value);
  const std::string message = load_error();
  EXPECT_EQ(message, "environment variable SOI_SOURCES_API_KEY: secrets are not read from SOI_ setting variables; "
                     "set MASSIVE_API_KEY (or POLYGON_API_KEY) in the environment or in a git-ignored .env file");
  EXPECT_EQ(message.find(value), std::string::npos);
}

TEST_F(ConfigEnvTest, OtherSoiVariablesAreNotSettings) {
  // Only the five file prefixes are reserved; SOI_POSTGRES_URL etc. belong to others.
  env.set("SOI_POSTGRES_URL", "postgres://x");
  env.set("SOI_SETTING_DATA_DIR", "/x");
  EXPECT_EQ(load_config(dir.str()).settings.data_dir, "./data");
}

}  // namespace
}  // namespace soi
