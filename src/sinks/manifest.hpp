// The run manifest: what one run wrote, partition by partition, with sizes and
// checksums, so that a later run (or a human) can verify and reconcile the
// data tree. Written atomically to <data_dir>/manifests/<run_id>.json and
// appended as one line to <data_dir>/manifests/runs.jsonl (the run history).
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "sinks/sink.hpp"

namespace soi {

enum class RunStatus { ok, failed, partial };
std::string_view to_string(RunStatus status);

struct ManifestTotals {
  std::uint64_t partitions = 0;
  std::uint64_t rows = 0;
  std::uint64_t bytes = 0;
  double seconds = 0;  // sum of partition commit times
};

// A partition a sink failed to write: the day stays as it was in that sink.
struct PartitionFailure {
  std::string sink;
  std::string feed;
  std::string date;      // YYYY-MM-DD
  std::string category;  // storage, auth, ...
  std::string error;     // the message, redacted when written
};

class RunManifest {
 public:
  // run_id becomes a file name: throws SoiError(config) when it is empty or
  // contains '/'. command_line is redacted here, before it is ever stored.
  RunManifest(std::string data_dir, std::string run_id, std::string_view command_line, std::int64_t started_at_ms);

  // Thread-safe: sinks on several threads report their partitions.
  void add(const PartitionWriteResult& partition);
  // Thread-safe: a partition a sink failed to write ("failures" in the document).
  void add_failure(PartitionFailure failure);

  const std::string& run_id() const { return run_id_; }
  const std::string& command_line() const { return command_line_; }
  std::vector<PartitionWriteResult> partitions() const;  // in add() order
  std::vector<PartitionFailure> failures() const;        // in add_failure() order
  ManifestTotals totals() const;

  // The manifest document; pretty=false gives the single-line runs.jsonl form.
  std::string to_json(RunStatus status, std::int64_t finished_at_ms, bool pretty = true) const;

  // Writes manifests/<run_id>.json (atomic replace) and appends to runs.jsonl.
  // Returns the .json path. Throws SoiError(storage).
  std::filesystem::path write(RunStatus status, std::int64_t finished_at_ms);

  std::filesystem::path manifest_dir() const { return data_dir_ / "manifests"; }

  // argv joined into one shell-pasteable line (arguments with spaces or quotes
  // single-quoted); values of --*key*/--*secret*/--*token*/--*password* options
  // are masked, then the whole line goes through redact().
  static std::string join_command_line(int argc, const char* const* argv);

 private:
  std::filesystem::path data_dir_;
  std::string run_id_;
  std::string command_line_;
  std::int64_t started_at_ms_;
  mutable std::mutex mutex_;
  std::vector<PartitionWriteResult> partitions_;
  std::vector<PartitionFailure> failures_;
};

}  // namespace soi
