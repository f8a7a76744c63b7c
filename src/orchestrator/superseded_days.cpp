#include "orchestrator/superseded_days.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "utils/error.hpp"
#include "utils/json_text.hpp"

namespace soi {
namespace {

int day_number(Date d) { return static_cast<int>(to_sys(d).time_since_epoch().count()); }

}  // namespace

std::filesystem::path superseded_days_file(const std::filesystem::path& data_dir) {
  return data_dir / "state" / "stream" / "superseded.txt";
}

SupersededDays::SupersededDays(std::filesystem::path file) : file_(std::move(file)) {
  std::ifstream in(file_);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string feed, day, started;
    if (!(fields >> feed >> day >> started)) continue;
    const auto d = parse_date(day);
    std::int64_t ms = 0;
    const auto [ptr, ec] = std::from_chars(started.data(), started.data() + started.size(), ms);
    if (!d || ec != std::errc() || ptr != started.data() + started.size()) continue;
    auto& slot = marks_[{feed, day_number(*d)}];
    slot = std::max(slot, ms);
  }
}

void SupersededDays::mark(std::string_view feed, std::span<const Date> days, std::int64_t started_ms) {
  if (days.empty()) return;
  int newest = day_number(days.front());
  for (const Date day : days) {
    auto& slot = marks_[{std::string(feed), day_number(day)}];
    slot = std::max(slot, started_ms);
  }
  for (const auto& [key, ms] : marks_) newest = std::max(newest, key.second);
  std::erase_if(marks_, [&](const auto& entry) { return entry.first.second < newest - kKeepDays; });
  std::string text;
  for (const auto& [key, ms] : marks_)
    text += key.first + " " + format_date(Date{date::sys_days{date::days{key.second}}}) + " " + std::to_string(ms) + "\n";
  try {
    std::filesystem::create_directories(file_.parent_path());
    write_file_atomically(file_.string(), text);
  } catch (const std::exception& e) {
    throw SoiError(ErrorCategory::storage, "cannot record the backfilled days in " + file_.string() + ": " + e.what());
  }
}

bool SupersededDays::superseded(std::string_view feed, Date day, std::int64_t received_ms) const {
  const auto it = marks_.find({std::string(feed), day_number(day)});
  return it != marks_.end() && received_ms < it->second;
}

}  // namespace soi
