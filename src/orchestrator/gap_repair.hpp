// Repairs what a stream missed while it was not connected: after every
// (re)connect the window between the last event the connection had and the
// first event after it is fetched over REST for each of the connection's
// tickers and merged through the same ingest path (dedup keeps one bar per
// second). Every repair is one line of <log_dir>/gaps.jsonl: start, end,
// tickers, bars recovered, and the error if the repair failed.
//
// Runs on its own thread so that a reader goes straight back to reading.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "config/feed_registry.hpp"
#include "data_sources/rest_client.hpp"
#include "monitoring/error_summary.hpp"
#include "orchestrator/stream_ingest.hpp"
#include "processing/quarantine.hpp"
#include "orchestrator/gap_journal.hpp"
#include "orchestrator/gap_repair_request.hpp"
#include "processing/stream_day_book.hpp"

namespace soi {


struct GapRepairServices {
  const Config& config;
  const FeedRegistry& feeds;  // a request's feed: its REST base URL, response shape, page size
  // A REST client for a base URL, used only by the repairer's thread. Called
  // from the constructor (the caller's thread), once per distinct base URL of
  // the streamed feeds.
  std::function<RestClient&(const std::string& base_url)> client_for;
  StreamIngest& ingest;
  QuarantineWriter& quarantine;
  ErrorSummary& errors;
  Date date;
  std::string gap_log_path;   // <log_dir>/gaps.jsonl
  GapJournal* journal = nullptr;  // owed repairs, durably (nullptr: none kept)
};

class GapRepairer {
 public:
  explicit GapRepairer(GapRepairServices services);
  ~GapRepairer();  // finish()
  GapRepairer(const GapRepairer&) = delete;
  GapRepairer& operator=(const GapRepairer&) = delete;

  // Any thread. Empty windows (end <= start) are ignored.
  void submit(GapRequest request);
  // Repairs everything submitted so far, then stops the thread. Idempotent.
  void finish();

  std::uint64_t gaps() const;
  std::uint64_t bars_recovered() const;

  // One repair on the calling thread: returns the bars recovered. A ticker that
  // fails (after the retry policy) is recorded and its error joined into
  // `error`; the others are repaired anyway.
  std::uint64_t repair(const GapRequest& request, std::string& error);

 private:
  // Until a stop is requested and nothing is pending: a stop drains the queue first.
  void run(std::stop_token stop);
  std::string_view name_of(StreamFeed feed) const;

  GapRepairServices s_;
  std::vector<RestClient*> clients_;  // by feed index; nullptr for a feed that is not streamed
  mutable std::mutex mutex_;
  std::condition_variable_any wake_;  // a request arrived, or a stop was requested
  std::deque<std::pair<std::uint64_t, GapRequest>> pending_;  // journal id (0: none), request
  std::uint64_t gaps_ = 0;
  std::uint64_t bars_ = 0;
  std::jthread thread_;
};

// The gap-log line (JSON, no newline); feed_name: the request's feed's name.
std::string gap_log_line(const GapRequest& request, std::string_view feed_name, std::uint64_t bars,
                         std::string_view error);

}  // namespace soi
