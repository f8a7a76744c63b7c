// Shared pieces of the `soi stream` integration tests: a simulator on a
// simulated clock, a stream run (foreground or background) with fast test
// settings, the ground truth of a day (`soi backfill --source all` against a
// clean simulator, cached per test program), row-for-row feed comparisons and
// fields of the --json summary.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/process.hpp"

namespace soi::it {

// The API key every stream test uses; no file or output may ever contain it.
inline constexpr const char* kStreamKey = "FAKEKEY-stream-it-5e1f0c9b7a3d";
// A Friday; the day before (Thursday 2025-01-16) is a trading day too.
inline constexpr const char* kStreamDay = "2025-01-17";
// Ten simulated seconds before that day's open.
inline constexpr const char* kBeforeOpen = "2025-01-17T09:29:50-05:00";
// The bar feeds a stream writes.
inline const std::vector<std::string> kBarFeeds = {"spy", "vix", "options"};

// Simulator arguments: the clock starts at `start` (RFC 3339) and runs at
// `speed` (0: as fast as the stream reads); each fault is one --fault.
std::vector<std::string> sim_args(const std::string& start, const std::string& speed,
                                  const std::vector<std::string>& faults = {});
std::string ws_url(const SimulatorProcess& sim);

// The stream's environment: the key, the server clock (the simulator's), a
// 3 s close grace, a 2 s commit interval, fast reconnects; `extra` wins.
Env stream_env(const Env& extra = {});
// `--config <repo>/config stream --once --json --base-url ... --ws-base-url ... --data-dir <data_dir>`.
std::vector<std::string> stream_args(const SimulatorProcess& sim, const std::filesystem::path& data_dir);
// Runs the stream to its end in the data directory's parent.
ProcessResult run_stream(const SimulatorProcess& sim, const std::filesystem::path& data_dir, const Env& extra_env = {},
                         int timeout_seconds = 120);
// The same, in the background.
std::unique_ptr<BackgroundSoi> start_stream(const SimulatorProcess& sim, const std::filesystem::path& data_dir,
                                            const Env& extra_env = {});

// Data directory holding `soi backfill --source all --from day --to last` run
// against a simulator on the real clock: the days as REST has them (last ""
// = day). Computed once per span and test program; an empty path (and a test
// failure) when it fails.
std::filesystem::path ground_truth(const std::string& day, const std::string& last = "");

// read_parquet(...) over every partition of a feed (hive_partitioning).
std::string feed_scan(const std::filesystem::path& data_dir, const std::string& feed);
bool feed_exists(const std::filesystem::path& data_dir, const std::string& feed);
std::filesystem::path partition(const std::filesystem::path& data_dir, const std::string& feed, const std::string& day);
std::int64_t feed_rows(const std::filesystem::path& data_dir, const std::string& feed);
// Rows (ticker, ts, open, high, low, close, volume, vwap) of `a` that are not in `b`.
std::int64_t rows_missing_from(const std::filesystem::path& a, const std::filesystem::path& b, const std::string& feed);
// (ticker, ts) keys stored more than once.
std::int64_t duplicate_keys(const std::filesystem::path& data_dir, const std::string& feed);
// Each bar feed equals the ground truth's row for row, in both directions, and
// holds every (ticker, ts) once. Reports failures (gtest) with `what`.
void expect_equals_ground_truth(const std::filesystem::path& data_dir, const std::filesystem::path& truth,
                                const std::string& what = "");

// A scalar query against a DuckDB database file, opened read-only.
std::string duckdb_file_scalar(const std::filesystem::path& database, const std::string& sql);

// A top-level field of a one-line JSON object, as text: strings unquoted,
// numbers, true/false/null as written; "" when the key is absent.
std::string json_field(const std::string& json, const std::string& key);
std::int64_t json_int(const std::string& json, const std::string& key);
// "rows" of one feed in the summary's "feeds" array (-1 when absent).
std::int64_t json_feed_rows(const std::string& json, const std::string& feed);

// The lines of a text file (no trailing empty line).
std::vector<std::string> lines_of(const std::filesystem::path& file);
// <data_dir>/logs/errors/errors.log
std::string errors_log(const std::filesystem::path& data_dir);

// Polls `done` every 20 ms for at most `seconds`; its last answer.
template <typename F>
bool wait_until(F done, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace soi::it
