#include "config/config_rules.hpp"

#include <fmt/format.h>

#include "config/config_value.hpp"

namespace soi::config {
namespace {

const SettingSpec& spec_of(ConfigFile file, std::string_view key) {
  const SettingSpec* spec = find_setting(file, key);
  if (spec == nullptr) fail(fmt::format("internal: no setting {} in {}", key, file_name(file)));
  return *spec;
}

// Requires low <= high (or low < high when strict). `noun` names what the values are
// ("a time") when the message reads better with it.
template <typename T>
void require_order(const Config& config, const Origins& origins, const SettingSpec& low_spec, const T& low,
                   const SettingSpec& high_spec, const T& high, bool strict, std::string_view noun) {
  const bool ok = strict ? low < high : low <= high;
  if (ok) return;
  // Blame the one the user set; when both or neither were set, blame the upper bound.
  const bool blame_low = origins.is_default(high_spec) && !origins.is_default(low_spec);
  const SettingSpec& blamed = blame_low ? low_spec : high_spec;
  const SettingSpec& other = blame_low ? high_spec : low_spec;
  // Times are "earlier/later than", numbers "less/more than".
  const bool times = noun == "a time";
  const char* relation = blame_low ? (strict ? (times ? "earlier than" : "less than") : "at most")
                                   : (strict ? (times ? "later than" : "more than") : "at least");
  std::string other_note;
  if (origins.is_env(other)) other_note = ", set by " + other.env_name();
  const std::string what = noun.empty() ? "" : std::string(noun) + " ";
  fail(fmt::format("{}: expected {}{} {} ({}{}), got {}", origins.where(blamed), what, relation, other.key,
                   format_value(other, config), other_note, format_value(blamed, config)));
}

// S3's bucket naming rules (3 to 63 of a-z 0-9 . -, starting and ending with a
// letter or digit): a name that breaks them would only fail later, as a signature
// or DNS error far from its cause.
bool valid_bucket_name(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return alnum(name.front()) && alnum(name.back());
}

void check_object_store(const Config& config, const Origins& origins) {
  const ObjectStoreConfig& store = config.sinks.object_store;
  if (!store.enabled) return;
  const SettingSpec& bucket = spec_of(ConfigFile::sinks, "object_store.bucket");
  if (store.bucket.empty())
    fail(fmt::format("{}: a bucket is required when object_store.enabled is true", origins.where(bucket)));
  if (!valid_bucket_name(store.bucket))
    fail(fmt::format("{}: expected a bucket name of 3 to 63 lower-case letters, digits, '.' or '-' starting and "
                     "ending with a letter or digit, got \"{}\"",
                     origins.where(bucket), store.bucket));
  const SettingSpec& prefix = spec_of(ConfigFile::sinks, "object_store.prefix");
  if (store.prefix.find("//") != std::string::npos || store.prefix.find('\\') != std::string::npos ||
      store.prefix.find("..") != std::string::npos)
    fail(fmt::format("{}: expected a key prefix of plain segments (no '//', '..' or '\\'), got \"{}\"",
                     origins.where(prefix), store.prefix));
}

void check_clickhouse(const Config& config, const Origins& origins) {
  const ClickHouseSinkConfig& ch = config.sinks.clickhouse;
  if (!ch.enabled) return;
  if (ch.shards.size() > 1 && ch.cluster.empty())
    fail(fmt::format("{}: a cluster name (from the servers' remote_servers) is required with {} shards",
                     origins.where(spec_of(ConfigFile::sinks, "clickhouse.cluster")), ch.shards.size()));
  const auto plain = [](const std::string& name) {
    if (name.empty()) return false;
    for (char c : name)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
  };
  // Both are spliced into SQL (a database name, a Distributed engine argument).
  for (const char* key : {"clickhouse.database", "clickhouse.cluster"}) {
    const std::string& value = std::string_view(key) == "clickhouse.database" ? ch.database : ch.cluster;
    if (!value.empty() && !plain(value))
      fail(fmt::format("{}: expected letters, digits or '_', got \"{}\"", origins.where(spec_of(ConfigFile::sinks, key)),
                       value));
  }
}

}  // namespace

void check_consistency(const Config& config, const Origins& origins) {
  using F = ConfigFile;
  require_order(config, origins, spec_of(F::settings, "session_start"), config.settings.session_start,
                spec_of(F::settings, "session_end"), config.settings.session_end, true, "a time");
  require_order(config, origins, spec_of(F::retry_policy, "initial_backoff_ms"), config.retry.initial_backoff_ms,
                spec_of(F::retry_policy, "max_backoff_ms"), config.retry.max_backoff_ms, false, "");
  require_order(config, origins, spec_of(F::retry_policy, "connect_timeout_seconds"),
                config.retry.connect_timeout_seconds, spec_of(F::retry_policy, "request_timeout_seconds"),
                config.retry.request_timeout_seconds, false, "");
  require_order(config, origins, spec_of(F::settings, "stream.heartbeat_interval_seconds"),
                config.settings.stream.heartbeat_interval_seconds,
                spec_of(F::settings, "stream.stale_heartbeat_seconds"), config.settings.stream.stale_heartbeat_seconds,
                true, "");
  check_object_store(config, origins);
  check_clickhouse(config, origins);
}

}  // namespace soi::config
