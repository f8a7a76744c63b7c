#include "monitoring/error_summary.hpp"

#include <fmt/format.h>

#include "monitoring/logging.hpp"
#include "utils/json_text.hpp"
#include "utils/time_util.hpp"

namespace soi {

void ErrorSummary::record(const SoiError& error) {
  record(error.category(), error.message(), error.context());
}

void ErrorSummary::record(ErrorCategory category, std::string_view message, const ErrorContext& context) {
  const std::string text = describe(message, context);  // redacted
  error_log().error("[{}] {}", to_string(category), text);
  const std::int64_t now = now_utc_ms();
  std::lock_guard lock(mutex_);
  Entry& e = entries_[{std::string(to_string(category)), context.source.empty() ? "-" : context.source}];
  if (e.count++ == 0) {
    e.first_ms = now;
    e.example = text;
  }
  e.last_ms = now;
}

std::uint64_t ErrorSummary::total() const {
  std::lock_guard lock(mutex_);
  std::uint64_t n = 0;
  for (const auto& [key, e] : entries_) n += e.count;
  return n;
}

std::uint64_t ErrorSummary::count(ErrorCategory category) const {
  std::lock_guard lock(mutex_);
  std::uint64_t n = 0;
  for (const auto& [key, e] : entries_)
    if (key.first == to_string(category)) n += e.count;
  return n;
}

std::map<std::pair<std::string, std::string>, ErrorSummary::Entry> ErrorSummary::entries() const {
  std::lock_guard lock(mutex_);
  return entries_;
}

std::string ErrorSummary::to_json(const std::string& run_id) const {
  auto snapshot = entries();
  std::uint64_t total_count = 0;
  std::string items;
  for (const auto& [key, e] : snapshot) {
    total_count += e.count;
    if (!items.empty()) items += ",\n    ";
    items += fmt::format(R"({{"category":{},"source":{},"count":{},"first":{},"last":{},"example":{}}})",
                         json_quote(key.first), json_quote(key.second), e.count,
                         json_quote(format_utc_iso_ms(e.first_ms)), json_quote(format_utc_iso_ms(e.last_ms)),
                         json_quote(e.example));
  }
  return fmt::format("{{\n  \"run_id\": {},\n  \"total\": {},\n  \"errors\": [{}{}]\n}}\n", json_quote(run_id),
                     total_count, items.empty() ? "" : "\n    ", items);
}

std::string ErrorSummary::to_text() const {
  auto snapshot = entries();
  if (snapshot.empty()) return "";
  std::string out = "errors by category and source:\n";
  for (const auto& [key, e] : snapshot) {
    out += fmt::format("  {:<11} {:<9} {:>6}  first {}  last {}\n    e.g. {}\n", key.first, key.second, e.count,
                       format_utc_iso_ms(e.first_ms), format_utc_iso_ms(e.last_ms), e.example);
  }
  return out;
}

std::string ErrorSummary::write_json(const std::string& dir, const std::string& run_id) const {
  std::string path = dir + "/summary-" + run_id + ".json";
  write_file_atomically(path, to_json(run_id));
  return path;
}

}  // namespace soi
