#include "cli/run_setup.hpp"

#include <atomic>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "data_sources/market_status_client.hpp"
#include "monitoring/logging.hpp"
#include "orchestrator/run_id.hpp"
#include "sinks/sink_factory.hpp"
#include "sinks/store/mirrored_store.hpp"
#include "sinks/store/upload_outbox.hpp"
#include "utils/secrets.hpp"
#include "utils/time_util.hpp"

namespace soi::cli {
namespace {

std::unique_ptr<RestClient> make_client(RunContext& run, const std::string& base_url) {
  auto client = std::make_unique<RestClient>(base_url, run.api_key, run.config.retry);
  auto& limiter = run.rate_limiters[client->base_url()];
  if (!limiter) limiter = std::make_shared<RateLimiter>(run.config.sources.max_requests_per_second);
  client->set_rate_limiter(limiter);
  return client;
}

// A failed upload to the bucket mirror: an error of the run (the partition
// waits in the outbox), and once per run an alert when the bucket has been
// behind for longer than commit_alert_seconds.
UploadFailureReporter bucket_failure_reporter(RunContext& ctx) {
  ErrorSummary* errors = &ctx.errors;
  const Config* config = &ctx.config;
  auto alerted = std::make_shared<std::atomic<bool>>(false);
  return [errors, config, alerted](const SoiError& e, std::string_view key) {
    errors->record(e.category(),
                   (key.empty() ? "bucket not reachable, uploads wait in the outbox: "
                                : "bucket upload failed, queued in the outbox: ") + e.message(),
                   ErrorContext{"object_store", "", "", std::string(key)});
    const auto owed = UploadOutbox(UploadOutbox::file_in(config->settings.data_dir)).oldest();
    if (!owed) return;
    const double behind = static_cast<double>(now_utc_ms() - owed->queued_at_ms) / 1000.0;
    if (behind > config->settings.commit_alert_seconds && !alerted->exchange(true))
      errors->record(ErrorCategory::storage,
                     fmt::format("ALERT bucket behind: {} has waited {:.0f} s for its upload (threshold "
                                 "commit_alert_seconds={}); see soi status",
                                 owed->key, behind, config->settings.commit_alert_seconds),
                     ErrorContext{"object_store", "", "", owed->key});
  };
}

// What an earlier run could not upload goes first.
void catch_up_with_the_bucket(MirroredStore& mirror) {
  if (mirror.outbox().size() == 0) return;
  const MirrorDrain drained = mirror.drain();
  exec_log().info("object store: {} owed upload(s) done at start, {} dropped (no local object), {} still owed",
                  drained.uploaded, drained.dropped, drained.owed);
}

}  // namespace

std::unique_ptr<RunContext> prepare_run(const std::string& config_dir, const RunOverrides& overrides,
                                        const std::string& command_line, std::optional<ProcessLock> held_lock) {
  auto owned = std::make_unique<RunContext>();
  RunContext& ctx = *owned;
  ctx.config = load_config(config_dir);
  if (!overrides.base_url.empty()) {
    if (overrides.base_url.rfind("http://", 0) != 0 && overrides.base_url.rfind("https://", 0) != 0)
      throw SoiError(ErrorCategory::config, "--base-url: expected an http:// or https:// URL, got '" +
                                                overrides.base_url + "'");
    // One switch points every REST source at the same server (the simulator, a proxy).
    ctx.config.sources.rest_base_url = overrides.base_url;
    ctx.config.sources.vix.base_url = overrides.base_url;
  }
  if (!overrides.ws_base_url.empty()) {
    if (overrides.ws_base_url.rfind("ws://", 0) != 0 && overrides.ws_base_url.rfind("wss://", 0) != 0)
      throw SoiError(ErrorCategory::config, "--ws-base-url: expected a ws:// or wss:// URL, got '" +
                                                overrides.ws_base_url + "'");
    ctx.config.sources.websocket.base_url = overrides.ws_base_url;
  }
  if (!overrides.data_dir.empty()) ctx.config.settings.data_dir = overrides.data_dir;

  std::optional<std::string> key = load_api_key();
  if (!key || key->empty())
    throw SoiError(ErrorCategory::config,
                   "no API key: set MASSIVE_API_KEY (or POLYGON_API_KEY) in the environment or in a git-ignored .env "
                   "file in the working directory");

  const auto& s = ctx.config.settings;
  // Before anything is written: a second writer must not even rotate the logs.
  if (held_lock && held_lock->held() && held_lock->path() == process_lock_path(s.data_dir))
    ctx.lock = std::move(held_lock);
  else
    ctx.lock = ProcessLock::acquire(s.data_dir, command_line, now_utc_ms());
  ctx.log_dir = s.log_dir.empty() ? s.data_dir + "/logs" : s.log_dir;
  init_logging(LogOptions{ctx.log_dir, s.log_level, s.log_max_file_mb, s.log_max_files, true});

  ctx.run.run_id = new_run_id();
  ctx.run.started_at_ms = now_utc_ms();
  exec_log().info("run {} start: {} (config {}, data {}, api {})", ctx.run.run_id, command_line, config_dir,
                  s.data_dir, ctx.config.sources.rest_base_url);

  ctx.api_key = *key;
  ctx.client = make_client(ctx, ctx.config.sources.rest_base_url);
  if (ctx.config.sources.calendar.use_market_status_api) apply_market_status_calendar(*ctx.client, ctx.calendar);

  ctx.manifest = std::make_unique<RunManifest>(s.data_dir, ctx.run.run_id, command_line, ctx.run.started_at_ms);
  ctx.quarantine = std::make_unique<QuarantineWriter>(s.data_dir);
  ErrorSummary* errors = &ctx.errors;
  ctx.store = make_partition_store(ctx.config, bucket_failure_reporter(ctx));
  if (auto* mirror = dynamic_cast<MirroredStore*>(ctx.store.get())) catch_up_with_the_bucket(*mirror);
  ctx.drift = std::make_unique<SchemaDriftTracker>(s.data_dir, [errors](const DriftAlert& alert) {
    errors->record(ErrorCategory::schema, alert.message,
                   ErrorContext{alert.source, "", alert.date, ""});
  });
  return owned;
}

RestClient& client_for(RunContext& run, const std::string& base_url) {
  if (base_url.empty() || base_url == run.client->base_url() || base_url + "/" == run.client->base_url() ||
      base_url == run.config.sources.rest_base_url)
    return *run.client;
  std::lock_guard lock(run.clients_mutex);
  auto& slot = run.other_clients[base_url];
  if (!slot) slot = make_client(run, base_url);
  return *slot;
}

RestClient& new_worker_client(RunContext& run, const std::string& base_url) {
  std::lock_guard lock(run.clients_mutex);
  run.worker_clients.push_back(make_client(run, base_url));
  return *run.worker_clients.back();
}

RestClientStats total_http_stats(const RunContext& run) {
  RestClientStats total = run.client->stats();
  auto add = [&total](const RestClient& client) {
    total.requests += client.stats().requests;
    total.retries += client.stats().retries;
    total.bytes += client.stats().bytes;
  };
  for (const auto& [url, client] : run.other_clients) add(*client);
  for (const auto& client : run.worker_clients) add(*client);
  return total;
}

std::string finish_run(RunContext& run, const std::string& status) {
  // Each step on its own: one record that cannot be written does not cost the others.
  const auto step = [&run](auto&& write) {
    try {
      write();
    } catch (const SoiError& e) {
      run.errors.record(e);
      if (run.finish_error.empty()) run.finish_error = e.what();
      std::cerr << "soi: " << e.what() << "\n";
    }
  };
  step([&] { run.drift->flush(); });
  step([&] { run.quarantine->close(); });
  RunStatus st = status == "ok" ? RunStatus::ok : status == "partial" ? RunStatus::partial : RunStatus::failed;
  std::string manifest;
  step([&] { manifest = run.manifest->write(st, now_utc_ms()).string(); });
  // The manifest goes where the partitions go (a bucket mirror, or the bucket as the record).
  try {
    if (!manifest.empty())
      run.store->copy_in("manifests/" + std::filesystem::path(manifest).filename().string(), manifest);
  } catch (const SoiError& e) {
    run.errors.record(e);
  }
  std::string summary;
  step([&] { summary = run.errors.write_json(run.log_dir + "/errors", run.run.run_id); });
  exec_log().info("run {} end: status {}, {} error(s), manifest {}, error summary {}", run.run.run_id, status,
                  run.errors.total(), manifest, summary);
  const RestClientStats http = total_http_stats(run);
  perf_log().info("run {} seconds={:.3f} requests={} retries={} bytes={}", run.run.run_id,
                  (now_utc_ms() - run.run.started_at_ms) / 1000.0, http.requests, http.retries, http.bytes);
  shutdown_logging();
  return manifest;
}

}  // namespace soi::cli
