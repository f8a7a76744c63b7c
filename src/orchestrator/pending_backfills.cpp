#include "orchestrator/pending_backfills.hpp"

#include <fstream>

#include "utils/error.hpp"
#include "utils/json_text.hpp"

namespace soi {

std::filesystem::path pending_backfills_file(const std::filesystem::path& data_dir) {
  return data_dir / "state" / "stream" / "pending_backfill.txt";
}

PendingBackfills::PendingBackfills(std::filesystem::path file) : file_(std::move(file)) {
  std::ifstream in(file_);
  for (std::string line; std::getline(in, line);)
    if (const auto d = parse_date(line)) days_.insert(*d);
}

void PendingBackfills::add(Date day) {
  if (!days_.insert(day).second) return;
  const auto oldest_kept = to_sys(*days_.rbegin()) - date::days{kKeepDays};
  std::erase_if(days_, [&](Date d) { return to_sys(d) < oldest_kept; });
  save();
}

void PendingBackfills::remove(Date day) {
  if (days_.erase(day)) save();
}

std::vector<Date> PendingBackfills::days() const { return {days_.begin(), days_.end()}; }

void PendingBackfills::save() const {
  std::string text;
  for (const Date d : days_) text += format_date(d) + "\n";
  try {
    std::filesystem::create_directories(file_.parent_path());
    write_file_atomically(file_.string(), text);
  } catch (const std::exception& e) {
    throw SoiError(ErrorCategory::storage, "cannot record the days awaiting their backfill in " + file_.string() +
                                               ": " + e.what());
  }
}

}  // namespace soi
