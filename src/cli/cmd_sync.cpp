// soi sync: brings the bucket in step with the local partitions. Every local
// partition (raw/<feed>/date=.../data.parquet) whose SHA-256 differs from the
// one its object carries (x-amz-meta-sha256), or that has no object, is
// uploaded. --verify also downloads each object and checks its content
// against the local file, which finds an object changed behind soi's back
// even when its metadata still claims the old hash; such an object is
// replaced. Whatever else the upload outbox owes (run manifests) is uploaded
// too, and what is in sync is dropped from it. Only with object_store.role
// mirror (in the primary role the bucket is the record), and only while no
// other soi writes the data directory (it takes the same lock).
//
// Exit 0 when every partition checked is in sync at the end, 1 when an
// upload or a check failed, 2 for bad usage or configuration (no bucket).
#include <algorithm>
#include <iostream>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.hpp"
#include "config/config.hpp"
#include "config/feed_registry.hpp"
#include "sinks/sink_factory.hpp"
#include "sinks/store/local_store.hpp"
#include "sinks/store/upload_outbox.hpp"
#include "utils/error.hpp"
#include "utils/file_digest.hpp"
#include "utils/json_text.hpp"
#include "utils/process_lock.hpp"
#include "utils/redact.hpp"
#include "utils/time_util.hpp"

namespace soi::cli {
namespace {

struct SyncOptions {
  std::string data_dir;
  std::string from, to;
  std::vector<std::string> feeds;
  bool verify = false;
  bool json = false;
};

struct SyncOutcome {
  std::string key;
  std::string action;  // in_sync, uploaded, repaired, failed
  std::string detail;
};

std::optional<Date> date_option(const std::string& text, const char* name) {
  if (text.empty()) return std::nullopt;
  const auto d = parse_date(text);
  if (!d) throw SoiError(ErrorCategory::config, fmt::format("{}: expected YYYY-MM-DD, got '{}'", name, text));
  return d;
}

// The object's content against the local file: a download, checked by the
// store against the object's own hash, then compared with the local one.
std::string content_mismatch(S3Store& bucket, const std::string& key, const std::string& local_sha) {
  try {
    const std::optional<LocalObject> copy = bucket.get(key);
    if (!copy) return "the object disappeared during the check";
    const std::string remote_sha = sha256_file_hex(copy->path());
    return remote_sha == local_sha ? "" : "its content's SHA-256 is " + remote_sha + ", the local file's " + local_sha;
  } catch (const SoiError& e) {
    if (e.category() == ErrorCategory::auth || e.category() == ErrorCategory::config) throw;
    return e.message();  // e.g. the download does not match the object's own hash
  }
}

int run_sync(const GlobalOptions& global, const SyncOptions& o) {
  Config config = load_config(global.config_dir);
  if (!o.data_dir.empty()) config.settings.data_dir = o.data_dir;
  const std::optional<Date> from = date_option(o.from, "--from");
  const std::optional<Date> to = date_option(o.to, "--to");
  const FeedRegistry feeds = default_feeds();
  std::set<std::string> names;  // the datasets' folders: feeds and their companions
  for (std::size_t i = 0; i < feeds.size(); ++i) {
    names.insert(feeds[i].name);
    if (feeds[i].companion) names.insert(feeds[i].companion->name);
  }
  for (const std::string& f : o.feeds)
    if (!names.count(f))
      throw SoiError(ErrorCategory::config, fmt::format("--feed: unknown feed '{}' (choices: {})", f,
                                                        fmt::join(names, ", ")));
  if (config.sinks.object_store.enabled && config.sinks.object_store.role != "mirror")
    throw SoiError(ErrorCategory::config,
                   "soi sync copies local partitions into a mirror; with object_store.role " +
                       config.sinks.object_store.role + " the bucket is the record and local files must not replace it");
  // The data directory's one writer: a stream or backfill committing (and
  // queueing uploads) meanwhile would race the uploads and the outbox.
  const ProcessLock lock = ProcessLock::acquire(config.settings.data_dir, global.command_line, now_utc_ms());
  std::shared_ptr<S3Store> bucket = make_bucket_store(config);
  LocalStore local(config.settings.data_dir);

  std::vector<SyncOutcome> outcomes;
  for (const std::string& name : names) {
    if (!o.feeds.empty() && std::find(o.feeds.begin(), o.feeds.end(), name) == o.feeds.end()) continue;
    for (const Date d : stored_days(local, name)) {
      if ((from && d < *from) || (to && d > *to)) continue;
      const std::string key = partition_key(name, d);
      SyncOutcome out{key, "in_sync", ""};
      try {
        const std::string local_sha = *local.sha256(key);
        const std::optional<std::string> remote_sha = bucket->sha256(key);
        std::string problem;
        if (!remote_sha) problem = "no object";
        else if (*remote_sha != local_sha) problem = "the object's SHA-256 is " + *remote_sha + ", the local file's " + local_sha;
        else if (o.verify) problem = content_mismatch(*bucket, key, local_sha);
        if (!problem.empty()) {
          const auto local_file = local.get(key);
          bucket->copy_in(key, local_file->path(), local_sha);
          out.action = remote_sha && *remote_sha == local_sha ? "repaired" : "uploaded";
          out.detail = problem;
        }
      } catch (const SoiError& e) {
        if (e.category() == ErrorCategory::auth || e.category() == ErrorCategory::config) throw;
        out.action = "failed";
        out.detail = e.message();
      }
      outcomes.push_back(std::move(out));
    }
  }

  // What else the outbox owes (run manifests, days outside the range asked):
  // the current local object of each key goes up too.
  UploadOutbox outbox(UploadOutbox::file_in(config.settings.data_dir));
  std::vector<std::string> settled;
  for (const auto& out : outcomes)
    if (out.action != "failed") settled.push_back(out.key);
  for (const OutboxEntry& owed : outbox.entries()) {
    if (std::find(settled.begin(), settled.end(), owed.key) != settled.end()) continue;
    SyncOutcome out{owed.key, "uploaded", "owed since " + format_utc_iso_ms(owed.queued_at_ms)};
    try {
      if (const auto file = local.get(owed.key)) bucket->copy_in(owed.key, file->path());
      else out.detail = "owed, but no longer stored locally";
      settled.push_back(owed.key);
    } catch (const SoiError& e) {
      if (e.category() == ErrorCategory::auth || e.category() == ErrorCategory::config) throw;
      out.action = "failed";
      out.detail = e.message();
    }
    outcomes.push_back(std::move(out));
  }
  outbox.remove(settled);

  std::size_t in_sync = 0, uploaded = 0, repaired = 0, failed = 0;
  for (const auto& out : outcomes) {
    if (out.action == "in_sync") ++in_sync;
    else if (out.action == "uploaded") ++uploaded;
    else if (out.action == "repaired") ++repaired;
    else ++failed;
  }
  if (o.json) {
    std::string items;
    for (const auto& out : outcomes) {
      if (out.action == "in_sync") continue;
      items += fmt::format(R"({}{{"key":{},"action":{},"detail":{},"location":{}}})", items.empty() ? "" : ",",
                           json_quote(out.key), json_quote(out.action), json_quote(redact(out.detail)),
                           json_quote(bucket->location(out.key)));
    }
    std::cout << fmt::format(
        R"({{"bucket":{},"checked":{},"in_sync":{},"uploaded":{},"repaired":{},"failed":{},"verified":{},"changes":[{}]}})",
        json_quote(config.sinks.object_store.bucket), outcomes.size(), in_sync, uploaded, repaired, failed, o.verify,
        items)
              << "\n";
  } else {
    for (const auto& out : outcomes)
      if (out.action != "in_sync")
        std::cout << fmt::format("{} {}: {}\n", out.action, bucket->location(out.key), redact(out.detail));
    std::cout << fmt::format("{} partition(s) checked{}: {} in sync, {} uploaded, {} repaired, {} failed\n",
                             outcomes.size(), o.verify ? " and verified" : "", in_sync, uploaded, repaired, failed);
  }
  return failed ? 1 : 0;
}

}  // namespace

void add_sync_command(CLI::App& app, const GlobalOptions& global, Runner& runner) {
  auto options = std::make_shared<SyncOptions>();
  CLI::App* cmd = app.add_subcommand(
      "sync", "Upload every local partition the bucket (sinks.yaml object_store) lacks or holds differently; "
              "exit 1 when one could not be brought in step");
  cmd->add_option("--data-dir", options->data_dir, "data directory (default: settings.yaml data_dir)");
  cmd->add_option("--from", options->from, "first day, YYYY-MM-DD (default: the first stored)");
  cmd->add_option("--to", options->to, "last day, YYYY-MM-DD (default: the last stored)");
  cmd->add_option("--feed", options->feeds, "only these feeds (spy, vix, options, options_contracts, news); "
                                            "repeat or separate with commas")
      ->delimiter(',');
  cmd->add_flag("--verify", options->verify,
                "also download every object and compare its content with the local file");
  cmd->add_flag("--json", options->json, "print the outcome as one JSON object");
  cmd->callback([&runner, &global, options]() { runner = [&global, options]() { return run_sync(global, *options); }; });
}

}  // namespace soi::cli
