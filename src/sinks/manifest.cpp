#include "sinks/manifest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "utils/durable_file.hpp"
#include "utils/error.hpp"
#include "utils/json_text.hpp"
#include "utils/redact.hpp"
#include "utils/time_util.hpp"

namespace soi {
namespace {

bool is_sensitive_option(std::string_view arg) {
  if (arg.substr(0, 2) != "--") return false;
  std::string name(arg.substr(0, arg.find('=')));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  for (std::string_view word : {"key", "secret", "token", "password", "passwd"})
    if (name.find(word) != std::string::npos) return true;
  return false;
}

std::string shell_quote(std::string_view arg) {
  const bool plain = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](unsigned char c) {
    return std::isalnum(c) || std::string_view("-_=./:,@%+").find(static_cast<char>(c)) != std::string_view::npos;
  });
  if (plain) return std::string(arg);
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Seconds as a JSON number: shortest round-trip form, never NaN/inf.
std::string json_seconds(double s) { return (s >= 0 && s < 1e15) ? fmt::format("{}", s) : "0"; }

}  // namespace

std::string_view to_string(RunStatus status) {
  switch (status) {
    case RunStatus::ok:
      return "ok";
    case RunStatus::failed:
      return "failed";
    case RunStatus::partial:
      return "partial";
  }
  return "failed";
}

RunManifest::RunManifest(std::string data_dir, std::string run_id, std::string_view command_line,
                         std::int64_t started_at_ms)
    : data_dir_(std::move(data_dir)),
      run_id_(std::move(run_id)),
      command_line_(redact(command_line)),
      started_at_ms_(started_at_ms) {
  if (run_id_.empty() || run_id_.find('/') != std::string::npos || run_id_[0] == '.')
    throw SoiError(ErrorCategory::config, "invalid run id '" + run_id_ + "'");
}

void RunManifest::add(const PartitionWriteResult& partition) {
  std::lock_guard lock(mutex_);
  partitions_.push_back(partition);
}

void RunManifest::add_failure(PartitionFailure failure) {
  std::lock_guard lock(mutex_);
  failures_.push_back(std::move(failure));
}

std::vector<PartitionFailure> RunManifest::failures() const {
  std::lock_guard lock(mutex_);
  return failures_;
}

std::vector<PartitionWriteResult> RunManifest::partitions() const {
  std::lock_guard lock(mutex_);
  return partitions_;
}

ManifestTotals RunManifest::totals() const {
  std::lock_guard lock(mutex_);
  ManifestTotals t;
  for (const auto& p : partitions_) {
    ++t.partitions;
    t.rows += p.rows;
    t.bytes += p.bytes;
    t.seconds += p.seconds;
  }
  return t;
}

std::string RunManifest::to_json(RunStatus status, std::int64_t finished_at_ms, bool pretty) const {
  const std::vector<PartitionWriteResult> parts = partitions();
  const ManifestTotals t = totals();
  const char* nl = pretty ? "\n" : "";
  const char* in1 = pretty ? "  " : "";
  const char* in2 = pretty ? "    " : "";
  const char* sp = pretty ? " " : "";
  std::string out = "{";
  out += nl;
  auto field = [&](std::string_view key, const std::string& value, bool last = false) {
    out += fmt::format("{}\"{}\":{}{}{}{}", in1, key, sp, value, last ? "" : ",", nl);
  };
  field("run_id", json_quote(run_id_));
  field("command_line", json_quote(command_line_));
  field("started_at", json_quote(format_utc_iso_ms(started_at_ms_)));
  field("finished_at", json_quote(format_utc_iso_ms(finished_at_ms)));
  field("duration_seconds", json_seconds(static_cast<double>(finished_at_ms - started_at_ms_) / 1000.0));
  field("status", json_quote(to_string(status)));
  field("totals", fmt::format("{{\"partitions\":{0}{1},{0}\"rows\":{0}{2},{0}\"bytes\":{0}{3},{0}\"seconds\":{0}{4}}}",
                              sp, t.partitions, t.rows, t.bytes, json_seconds(t.seconds)));
  out += fmt::format("{}\"partitions\":{}[", in1, sp);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& p = parts[i];
    out += nl;
    out += in2;
    out += fmt::format(
        "{{\"sink\":{1}{2},{1}\"feed\":{1}{3},{1}\"date\":{1}{4},{1}\"location\":{1}{5},{1}\"rows\":{1}{6},{1}"
        "\"bytes\":{1}{7},{1}\"sha256\":{1}{8},{1}\"seconds\":{1}{9}}}{0}",
        i + 1 < parts.size() ? "," : "", sp, json_quote(p.sink), json_quote(p.feed), json_quote(p.date),
        json_quote(redact(p.location)), p.rows, p.bytes, json_quote(p.sha256), json_seconds(p.seconds));
  }
  if (!parts.empty()) out += std::string(nl) + in1;
  out += "],";
  out += nl;
  // What a sink could not write: the day keeps its previous content there,
  // unless the error says the store replaced it before failing.
  const std::vector<PartitionFailure> failed = failures();
  out += fmt::format("{}\"failures\":{}[", in1, sp);
  for (std::size_t i = 0; i < failed.size(); ++i) {
    const auto& f = failed[i];
    out += nl;
    out += in2;
    out += fmt::format("{{\"sink\":{1}{2},{1}\"feed\":{1}{3},{1}\"date\":{1}{4},{1}\"category\":{1}{5},{1}\"error\":{1}{6}}}{0}",
                       i + 1 < failed.size() ? "," : "", sp, json_quote(f.sink), json_quote(f.feed),
                       json_quote(f.date), json_quote(f.category), json_quote(redact(f.error)));
  }
  if (!failed.empty()) out += std::string(nl) + in1;
  out += "]";
  out += nl;
  out += "}";
  return out;
}

std::filesystem::path RunManifest::write(RunStatus status, std::int64_t finished_at_ms) {
  const std::filesystem::path dir = manifest_dir();
  create_directories_or_throw(dir);
  const std::filesystem::path path = dir / (run_id_ + ".json");
  write_file_atomically(path.string(), to_json(status, finished_at_ms, true) + "\n");
  append_line_durably(dir / "runs.jsonl", to_json(status, finished_at_ms, false));
  return path;
}

std::string RunManifest::join_command_line(int argc, const char* const* argv) {
  std::string out;
  bool mask_next = false;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i] ? argv[i] : "";
    if (mask_next) {
      arg = mask_secret(arg);
      mask_next = false;
    } else if (is_sensitive_option(arg)) {
      const auto eq = arg.find('=');
      if (eq == std::string::npos)
        mask_next = true;
      else
        arg = arg.substr(0, eq + 1) + mask_secret(std::string_view(arg).substr(eq + 1));
    }
    if (i > 0) out += ' ';
    out += shell_quote(arg);
  }
  return redact(out);
}

}  // namespace soi
