#include "support/stream_fixture.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include "sinks/duckdb/duckdb_session.hpp"

namespace soi::it {
namespace fs = std::filesystem;

std::vector<std::string> sim_args(const std::string& start, const std::string& speed,
                                  const std::vector<std::string>& faults) {
  std::vector<std::string> args{"--start", start, "--speed", speed};
  for (const auto& f : faults) {
    args.push_back("--fault");
    args.push_back(f);
  }
  return args;
}

std::string ws_url(const SimulatorProcess& sim) { return "ws://127.0.0.1:" + std::to_string(sim.port()); }

Env stream_env(const Env& extra) {
  Env e{{"MASSIVE_API_KEY", kStreamKey},
        {"SOI_SETTINGS_STREAM_CLOCK", "server"},
        {"SOI_SETTINGS_STREAM_CLOSE_GRACE_SECONDS", "3"},
        {"SOI_SETTINGS_STREAM_COMMIT_INTERVAL_SECONDS", "2"},
        {"SOI_RETRY_POLICY_INITIAL_BACKOFF_MS", "20"},
        {"SOI_RETRY_POLICY_MAX_BACKOFF_MS", "200"}};
  for (const auto& [k, v] : extra) e[k] = v;
  return e;
}

std::vector<std::string> stream_args(const SimulatorProcess& sim, const fs::path& data_dir) {
  return {"--config",     config_dir(),    "stream",    "--once",     "--json",         "--base-url",
          sim.base_url(), "--ws-base-url", ws_url(sim), "--data-dir", data_dir.string()};
}

ProcessResult run_stream(const SimulatorProcess& sim, const fs::path& data_dir, const Env& extra_env,
                         int timeout_seconds) {
  fs::create_directories(data_dir.parent_path());
  return run_soi(stream_args(sim, data_dir), stream_env(extra_env), data_dir.parent_path(), timeout_seconds);
}

std::unique_ptr<BackgroundSoi> start_stream(const SimulatorProcess& sim, const fs::path& data_dir,
                                            const Env& extra_env) {
  fs::create_directories(data_dir.parent_path());
  return std::make_unique<BackgroundSoi>(stream_args(sim, data_dir), stream_env(extra_env), data_dir.parent_path());
}

fs::path ground_truth(const std::string& day, const std::string& last) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<TempDir>> cache;
  std::lock_guard lock(mutex);
  const std::string to = last.empty() ? day : last;
  const std::string span = day + ".." + to;
  auto it = cache.find(span);
  if (it != cache.end()) return it->second->path() / "data";
  auto dir = std::make_unique<TempDir>();
  SimulatorProcess sim;  // the real clock: the whole day is history
  auto r = run_soi({"--config", config_dir(), "backfill", "--source", "all", "--from", day, "--to", to, "--base-url",
                    sim.base_url(), "--data-dir", (dir->path() / "data").string()},
                   {{"MASSIVE_API_KEY", kStreamKey}}, dir->path());
  if (r.exit_code != 0) {
    ADD_FAILURE() << "ground-truth backfill of " << span << " failed (" << r.exit_code << "): " << r.err << r.out;
    return {};
  }
  const fs::path data = dir->path() / "data";
  cache.emplace(span, std::move(dir));
  return data;
}

std::string feed_scan(const fs::path& data_dir, const std::string& feed) {
  return "read_parquet('" + (data_dir / "raw" / feed / "*" / "*.parquet").string() + "', hive_partitioning=true)";
}

bool feed_exists(const fs::path& data_dir, const std::string& feed) {
  return !files_under(data_dir / "raw" / feed).empty();
}

fs::path partition(const fs::path& data_dir, const std::string& feed, const std::string& day) {
  return data_dir / "raw" / feed / ("date=" + day) / "data.parquet";
}

std::int64_t feed_rows(const fs::path& data_dir, const std::string& feed) {
  if (!feed_exists(data_dir, feed)) return 0;
  return std::stoll(duckdb_scalar("SELECT count(*) FROM " + feed_scan(data_dir, feed)));
}

std::int64_t rows_missing_from(const fs::path& a, const fs::path& b, const std::string& feed) {
  if (!feed_exists(a, feed)) return 0;
  if (!feed_exists(b, feed)) return feed_rows(a, feed);
  // transactions: not carried by WebSocket aggregates, so not compared.
  const std::string cols = "ticker, ts, open, high, low, close, volume, vwap";
  return std::stoll(duckdb_scalar("SELECT count(*) FROM (SELECT " + cols + " FROM " + feed_scan(a, feed) +
                                  " EXCEPT SELECT " + cols + " FROM " + feed_scan(b, feed) + ")"));
}

std::int64_t duplicate_keys(const fs::path& data_dir, const std::string& feed) {
  if (!feed_exists(data_dir, feed)) return 0;
  return std::stoll(duckdb_scalar("SELECT count(*) - count(DISTINCT (ticker, ts)) FROM " + feed_scan(data_dir, feed)));
}

void expect_equals_ground_truth(const fs::path& data_dir, const fs::path& truth, const std::string& what) {
  ASSERT_FALSE(truth.empty()) << what << ": no ground truth";
  for (const auto& feed : kBarFeeds) {
    EXPECT_TRUE(feed_exists(data_dir, feed)) << what << ": no " << feed << " partition under " << data_dir;
    EXPECT_EQ(feed_rows(data_dir, feed), feed_rows(truth, feed)) << what << ": " << feed << " rows";
    EXPECT_EQ(rows_missing_from(data_dir, truth, feed), 0)
        << what << ": streamed " << feed << " rows not in the backfill";
    EXPECT_EQ(rows_missing_from(truth, data_dir, feed), 0) << what << ": backfilled " << feed << " rows not streamed";
    EXPECT_EQ(duplicate_keys(data_dir, feed), 0) << what << ": duplicate (ticker, ts) in " << feed;
  }
}

std::string duckdb_file_scalar(const fs::path& database, const std::string& sql) {
  DuckDbSession session(database.string(), 0, /*read_only=*/true);
  auto rows = session.query(sql);
  if (rows.empty() || rows[0].empty() || !rows[0][0]) return "";
  return *rows[0][0];
}

std::string json_field(const std::string& json, const std::string& key) {
  const std::string probe = "\"" + key + "\":";
  const auto pos = json.find(probe);
  if (pos == std::string::npos) return "";
  std::size_t i = pos + probe.size();
  if (i < json.size() && json[i] == '"') {
    std::string out;
    for (++i; i < json.size() && json[i] != '"'; ++i) {
      if (json[i] == '\\' && i + 1 < json.size()) ++i;
      out += json[i];
    }
    return out;
  }
  const auto end = json.find_first_of(",}]", i);
  return json.substr(i, end == std::string::npos ? std::string::npos : end - i);
}

std::int64_t json_int(const std::string& json, const std::string& key) {
  const std::string text = json_field(json, key);
  if (text.empty() || !(std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '-')) {
    ADD_FAILURE() << "no integer \"" << key << "\" in " << json;
    return -1;
  }
  return std::stoll(text);
}

std::int64_t json_feed_rows(const std::string& json, const std::string& feed) {
  const auto pos = json.find("{\"feed\":\"" + feed + "\"");
  if (pos == std::string::npos) return -1;
  return std::stoll(json_field(json.substr(pos), "rows"));
}

std::vector<std::string> lines_of(const fs::path& file) {
  std::vector<std::string> out;
  std::istringstream in(read_file(file));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

std::string errors_log(const fs::path& data_dir) { return read_file(data_dir / "logs" / "errors" / "errors.log"); }

}  // namespace soi::it
