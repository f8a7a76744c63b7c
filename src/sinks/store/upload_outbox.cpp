#include "sinks/store/upload_outbox.hpp"

#include <algorithm>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <simdjson.h>

#include "utils/durable_file.hpp"
#include "utils/json_text.hpp"
#include "utils/redact.hpp"

namespace soi {

UploadOutbox::UploadOutbox(std::filesystem::path file) : file_(std::move(file)) {}

std::filesystem::path UploadOutbox::file_in(const std::filesystem::path& data_dir) {
  return data_dir / "state" / "upload_outbox.jsonl";
}

namespace {

std::string entry_line(std::string_view key, std::int64_t queued_at_ms, std::string_view error) {
  return fmt::format(R"({{"key":{},"queued_at_ms":{},"error":{}}})", json_quote(key), queued_at_ms,
                     json_quote(redact(error)));
}

}  // namespace

void UploadOutbox::add(std::string_view key, std::string_view error, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  // A crash mid-append leaves a last line without its newline: start a new
  // line, or this entry would be glued to the torn one and lost with it.
  std::string line = entry_line(key, now_ms, error);
  std::error_code ec;
  if (std::filesystem::file_size(file_, ec) > 0 && !ec) {
    std::ifstream in(file_, std::ios::binary);
    in.seekg(-1, std::ios::end);
    if (in.get() != '\n') line.insert(line.begin(), '\n');
  }
  append_line_durably(file_, line);
}

std::vector<OutboxEntry> UploadOutbox::read_locked() const {
  std::ifstream in(file_);
  std::map<std::string, OutboxEntry> by_key;
  std::string line;
  simdjson::dom::parser parser;
  while (std::getline(in, line)) {
    simdjson::dom::object o;
    if (parser.parse(line).get(o) != simdjson::SUCCESS) continue;  // a torn last line
    std::string_view key, error;
    std::int64_t queued = 0;
    if (o["key"].get(key) || o["queued_at_ms"].get(queued) || o["error"].get(error)) continue;
    auto [it, added] = by_key.try_emplace(std::string(key), OutboxEntry{std::string(key), queued, std::string(error)});
    if (!added) {
      it->second.queued_at_ms = std::min(it->second.queued_at_ms, queued);
      it->second.error = std::string(error);
    }
  }
  std::vector<OutboxEntry> out;
  out.reserve(by_key.size());
  for (auto& [key, entry] : by_key) out.push_back(std::move(entry));
  std::stable_sort(out.begin(), out.end(),
                   [](const OutboxEntry& a, const OutboxEntry& b) { return a.queued_at_ms < b.queued_at_ms; });
  return out;
}

std::vector<OutboxEntry> UploadOutbox::entries() const {
  std::lock_guard lock(mutex_);
  return read_locked();
}

std::optional<OutboxEntry> UploadOutbox::oldest() const {
  auto all = entries();
  if (all.empty()) return std::nullopt;
  return all.front();
}

void UploadOutbox::remove(const std::vector<std::string>& keys) {
  if (keys.empty()) return;
  std::lock_guard lock(mutex_);
  if (!std::filesystem::exists(file_)) return;
  std::string kept;
  for (const OutboxEntry& e : read_locked()) {
    if (std::find(keys.begin(), keys.end(), e.key) != keys.end()) continue;
    kept += entry_line(e.key, e.queued_at_ms, e.error);
    kept += '\n';
  }
  write_file_atomically(file_.string(), kept);
}

}  // namespace soi
