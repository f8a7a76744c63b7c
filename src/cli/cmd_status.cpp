// soi status: what is running on a data directory (the process lock's holder),
// the state of every stream heartbeat under <log_dir>/heartbeat and, with an
// object-store mirror, the uploads it still owes its bucket (the outbox). Exit 0
// when every heartbeat is fresh and the bucket is not behind by more than
// commit_alert_seconds, 1 otherwise (so cron/monitoring can alert on the exit
// code), 2 for bad usage or configuration.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "config/config.hpp"
#include "monitoring/heartbeat.hpp"
#include "sinks/store/upload_outbox.hpp"
#include "utils/json_text.hpp"
#include "utils/process_lock.hpp"
#include "utils/time_util.hpp"

namespace soi::cli {
namespace {

namespace fs = std::filesystem;

struct StatusOptions {
  std::string data_dir;
  int stale_seconds = static_cast<int>(kDefaultStaleThreshold.count());
  bool json = false;
};

std::string_view state_name(HeartbeatState s) {
  switch (s) {
    case HeartbeatState::fresh: return "fresh";
    case HeartbeatState::stale: return "stale";
    case HeartbeatState::missing: return "missing";
    case HeartbeatState::unreadable: return "unreadable";
    case HeartbeatState::process_gone: return "process_gone";
    case HeartbeatState::finished: return "finished";
  }
  return "unknown";
}

int run_status(const GlobalOptions& global, const StatusOptions& o) {
  Config config = load_config(global.config_dir);
  if (!o.data_dir.empty()) config.settings.data_dir = o.data_dir;
  const std::string& data_dir = config.settings.data_dir;
  const std::string log_dir = config.settings.log_dir.empty() ? data_dir + "/logs" : config.settings.log_dir;
  const std::int64_t now = now_utc_ms();

  const std::optional<LockInfo> lock = read_lock_info(data_dir);
  const bool running = lock && lock->alive;

  std::vector<std::pair<std::string, HeartbeatCheck>> streams;
  std::error_code ec;
  const fs::path beats = fs::path(log_dir) / "heartbeat";
  if (fs::is_directory(beats, ec)) {
    for (const auto& entry : fs::directory_iterator(beats, ec)) {
      const std::string name = entry.path().filename().string();
      const std::string suffix = "_status.json";
      if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
        continue;
      streams.emplace_back(name.substr(0, name.size() - suffix.size()),
                           check_heartbeat(entry.path().string(), now, std::chrono::seconds(o.stale_seconds)));
    }
  }
  std::sort(streams.begin(), streams.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  const bool any_stale = std::any_of(streams.begin(), streams.end(), [](const auto& s) { return s.second.stale(); });

  // The outbox is a local file: status never calls the bucket.
  const bool mirror = config.sinks.object_store.enabled && config.sinks.object_store.role == "mirror";
  std::vector<OutboxEntry> owed;
  if (mirror) owed = UploadOutbox(UploadOutbox::file_in(data_dir)).entries();
  const double behind_seconds = owed.empty() ? 0.0 : static_cast<double>(now - owed.front().queued_at_ms) / 1000.0;
  const bool bucket_behind = behind_seconds > config.settings.commit_alert_seconds;
  std::string outbox_json = "null";
  if (mirror)
    outbox_json = fmt::format(R"({{"depth":{},"oldest_key":{},"oldest_queued_at":{},"behind_seconds":{:.1f},"alert":{},"last_error":{}}})",
                              owed.size(), owed.empty() ? "null" : json_quote(owed.front().key),
                              owed.empty() ? "null" : json_quote(format_utc_iso_ms(owed.front().queued_at_ms)),
                              behind_seconds, bucket_behind, owed.empty() ? "null" : json_quote(owed.back().error));

  if (o.json) {
    std::string items;
    for (const auto& [source, check] : streams) {
      items += fmt::format(R"({}{{"source":{},"state":{},"age_seconds":{:.1f},"message":{},"heartbeat":{}}})",
                           items.empty() ? "" : ",", json_quote(source), json_quote(state_name(check.state)),
                           check.age_seconds, json_quote(check.message),
                           check.record ? heartbeat_to_json(*check.record) : "null");
    }
    std::cout << fmt::format(
        R"({{"data_dir":{},"running":{},"pid":{},"command":{},"started":{},"streams":[{}],"stale":{},"upload_outbox":{}}})",
        json_quote(data_dir), running, running ? std::to_string(lock->pid) : "null",
        running ? json_quote(lock->command) : "null", running ? json_quote(format_utc_iso_ms(lock->started_ms)) : "null",
        items, any_stale, outbox_json)
              << "\n";
  } else {
    if (running)
      std::cout << fmt::format("running: soi pid {} since {} ({})\n", lock->pid, format_ny_rfc3339(lock->started_ms),
                               lock->command);
    else
      std::cout << fmt::format("running: nothing holds {}\n", process_lock_path(data_dir));
    if (streams.empty()) std::cout << fmt::format("streams: no heartbeat under {}\n", beats.string());
    for (const auto& [source, check] : streams) {
      std::cout << fmt::format("stream {}: {} - {}\n", source, state_name(check.state), check.message);
      if (const auto& r = check.record)
        std::cout << fmt::format("  connection {}, {} messages ({} in the last interval), reconnects {}, queue {}, "
                                 "spilled {}, lag {:.1f} s\n",
                                 to_string(r->connection), r->messages_total, r->messages_last_interval,
                                 r->reconnects, r->queue_depth, r->spilled, r->lag_seconds);
    }
    if (mirror && owed.empty())
      std::cout << fmt::format("bucket: in step (no upload owed to {})\n", config.sinks.object_store.bucket);
    else if (mirror)
      std::cout << fmt::format("bucket: {} upload(s) owed to {}, the oldest {} since {} ({:.0f} s{}); last error: {}\n",
                               owed.size(), config.sinks.object_store.bucket, owed.front().key,
                               format_ny_rfc3339(owed.front().queued_at_ms), behind_seconds,
                               bucket_behind ? ", over commit_alert_seconds" : "", owed.back().error);
  }
  return any_stale || bucket_behind ? 1 : 0;
}

}  // namespace

void add_status_command(CLI::App& app, const GlobalOptions& global, Runner& runner) {
  auto options = std::make_shared<StatusOptions>();
  CLI::App* cmd = app.add_subcommand("status", "Show what runs on a data directory, every stream's heartbeat and the "
                                               "uploads a bucket mirror still owes; exit 1 when a heartbeat is stale or the "
                                               "bucket is behind by more than commit_alert_seconds");
  cmd->add_option("--data-dir", options->data_dir, "data directory (default: settings.yaml data_dir)");
  cmd->add_option("--stale-seconds", options->stale_seconds, "a heartbeat older than this is stale")
      ->check(CLI::Range(1, 86400 * 7))
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "print the status as one JSON object");
  cmd->callback([&runner, &global, options]() { runner = [&global, options]() { return run_status(global, *options); }; });
}

}  // namespace soi::cli
