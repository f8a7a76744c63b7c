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
}

}  // namespace soi::config
