#include "orchestrator/gap_journal.hpp"

#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <simdjson.h>

#include "utils/durable_file.hpp"
#include "utils/error.hpp"
#include "utils/json_text.hpp"
#include "utils/time_util.hpp"

namespace soi {

GapJournal::GapJournal(std::filesystem::path path) : path_(std::move(path)) {
  std::error_code ec;
  std::filesystem::create_directories(path_.parent_path(), ec);
  // Ids only need to be unique within the journal: start past the clock so a
  // new run never reuses an id an earlier run left open.
  next_id_ = static_cast<std::uint64_t>(now_utc_ms()) * 1000;
}

std::vector<GapRequest> GapJournal::take_open(Date date) {
  std::lock_guard lock(mutex_);
  std::map<std::uint64_t, GapRequest> open;
  std::ifstream in(path_);
  std::string line;
  simdjson::dom::parser parser;
  const std::string wanted = format_date(date);
  while (std::getline(in, line)) {
    simdjson::dom::object o;
    if (parser.parse(line).get(o) != simdjson::SUCCESS) continue;  // a torn last line
    std::uint64_t id = 0;
    if (o["done"].get(id) == simdjson::SUCCESS) {
      open.erase(id);
      continue;
    }
    std::string_view day, market, reason;
    std::int64_t feed = 0, start = 0, end = 0;
    simdjson::dom::array tickers;
    if (o["open"].get(id) || o["date"].get(day) || o["feed"].get(feed) || o["market"].get(market) ||
        o["start_ms"].get(start) || o["end_ms"].get(end) || o["tickers"].get(tickers) || o["reason"].get(reason))
      continue;
    // Another day's gap: that day is the backfill's now. The repairer refuses
    // an id its registry does not stream.
    if (day != wanted || feed < 0 || feed > 255) continue;
    GapRequest r{StreamFeed{static_cast<std::uint8_t>(feed)}, std::string(market), {}, start, end, "unfinished"};
    for (auto t : tickers) {
      std::string_view ticker;
      if (t.get(ticker) == simdjson::SUCCESS) r.tickers.emplace_back(ticker);
    }
    open[id] = std::move(r);
  }
  write_file_atomically(path_.string(), "");
  std::vector<GapRequest> out;
  for (auto& [id, r] : open) out.push_back(std::move(r));
  return out;
}

std::uint64_t GapJournal::opened(const GapRequest& r) {
  std::uint64_t id;
  {
    std::lock_guard lock(mutex_);
    id = next_id_++;
  }
  std::string tickers;
  for (const auto& t : r.tickers) tickers += (tickers.empty() ? "" : ",") + json_quote(t);
  append_line_durably(path_, fmt::format(R"({{"open":{},"date":{},"feed":{},"market":{},"start_ms":{},"end_ms":{},)"
                                         R"("reason":{},"tickers":[{}]}})",
                                         id, json_quote(format_date(ny_date_of_utc_ms(r.start_ms))),
                                         static_cast<int>(r.feed.index), json_quote(r.market), r.start_ms, r.end_ms,
                                         json_quote(r.reason), tickers));
  return id;
}

void GapJournal::done(std::uint64_t id) { append_line_durably(path_, fmt::format(R"({{"done":{}}})", id)); }

}  // namespace soi
