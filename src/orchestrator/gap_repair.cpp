#include "orchestrator/gap_repair.hpp"

#include <map>

#include <fmt/format.h>

#include "data_sources/aggregates_fetcher.hpp"
#include "monitoring/logging.hpp"
#include "utils/durable_file.hpp"
#include "utils/json_text.hpp"
#include "utils/time_util.hpp"

namespace soi {

std::string gap_log_line(const GapRequest& r, std::string_view feed_name, std::uint64_t bars,
                         std::string_view error) {
  std::string tickers = "[";
  for (std::size_t i = 0; i < r.tickers.size(); ++i) {
    if (i) tickers += ',';
    tickers += json_quote(r.tickers[i]);
  }
  tickers += ']';
  return fmt::format(
      R"({{"logged_at":{},"feed":{},"market":{},"reason":{},"start":{},"end":{},"start_ms":{},"end_ms":{},"tickers":{},"bars_recovered":{},"error":{}}})",
      json_quote(format_utc_iso_ms(now_utc_ms())), json_quote(feed_name), json_quote(r.market),
      json_quote(r.reason), json_quote(format_utc_iso_ms(r.start_ms)), json_quote(format_utc_iso_ms(r.end_ms)),
      r.start_ms, r.end_ms, tickers, bars, error.empty() ? "null" : json_quote(error));
}

GapRepairer::GapRepairer(GapRepairServices services) : s_(std::move(services)) {
  std::map<std::string, RestClient*> by_url;
  for (const FeedSpec& feed : s_.feeds.feeds()) {
    RestClient* client = nullptr;
    if (feed.streamed()) {
      const std::string url = feed.rest_base_url(s_.config);
      auto [it, added] = by_url.emplace(url, nullptr);
      if (added) it->second = &s_.client_for(url);
      client = it->second;
    }
    clients_.push_back(client);
  }
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

std::string_view GapRepairer::name_of(StreamFeed feed) const {
  return feed.index < s_.feeds.size() ? std::string_view(s_.feeds[feed.index].name) : std::string_view("stream");
}

GapRepairer::~GapRepairer() { finish(); }

void GapRepairer::submit(GapRequest request) {
  if (request.end_ms <= request.start_ms || request.tickers.empty()) return;
  std::uint64_t id = 0;
  try {
    if (s_.journal) id = s_.journal->opened(request);
  } catch (const SoiError& e) {
    s_.errors.record(e);  // the repair still runs; only its crash protection is missing
  }
  {
    std::lock_guard lock(mutex_);
    pending_.emplace_back(id, std::move(request));
  }
  wake_.notify_all();
}

void GapRepairer::finish() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t GapRepairer::gaps() const {
  std::lock_guard lock(mutex_);
  return gaps_;
}

std::uint64_t GapRepairer::bars_recovered() const {
  std::lock_guard lock(mutex_);
  return bars_;
}

void GapRepairer::run(std::stop_token stop) {
  for (;;) {
    GapRequest request;
    std::uint64_t id = 0;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, stop, [&] { return !pending_.empty(); });
      if (pending_.empty()) return;  // stop requested, nothing left
      id = pending_.front().first;
      request = std::move(pending_.front().second);
      pending_.pop_front();
    }
    std::uint64_t bars = 0;
    std::string error;
    try {
      bars = repair(request, error);
    } catch (const std::exception& e) {  // e.g. the ingest's storage: the gap log still says so
      error = e.what();
      s_.errors.record(ErrorCategory::storage, std::string("gap repair: ") + e.what(),
                       ErrorContext{std::string(name_of(request.feed)), "", format_date(s_.date), ""});
    }
    try {
      // The bars are in the write-ahead log now (ingest.submit): a crash no longer owes this repair.
      if (s_.journal && id) s_.journal->done(id);
      append_line_durably(s_.gap_log_path, gap_log_line(request, name_of(request.feed), bars, error));
    } catch (const SoiError& e) {
      s_.errors.record(e);
    }
    std::lock_guard lock(mutex_);
    ++gaps_;
    bars_ += bars;
  }
}

std::uint64_t GapRepairer::repair(const GapRequest& request, std::string& error) {
  const std::string date_text = format_date(s_.date);
  const std::string_view name = name_of(request.feed);
  if (request.feed.index >= clients_.size() || !clients_[request.feed.index]) {
    const std::string why = "no streamed feed with id " + std::to_string(request.feed.index) + " to repair";
    s_.errors.record(ErrorCategory::config, "gap repair: " + why, ErrorContext{"stream", "", date_text, ""});
    error = why;
    return 0;
  }
  const FeedSpec& feed = s_.feeds[request.feed.index];
  RestClient& client = *clients_[request.feed.index];
  // Index aggregates carry no volume; every other streamed feed is equity-shaped.
  const bool index = feed.shape == ResponseShape::index_aggs;
  AggsParser parser(index ? AggsShape::index : AggsShape::equity);
  const std::uint8_t feed_id = request.feed.index;
  std::uint64_t recovered = 0;
  RecordBatch batch;
  AggsPage page;
  for (const std::string& ticker : request.tickers) {
    AggregatesRequest fetch;
    fetch.ticker = ticker;
    fetch.window = BarWindow{request.start_ms, request.end_ms, 1000};
    fetch.page_limit = feed.page_limit(s_.config);
    fetch.adjusted = feed.adjusted && feed.adjusted(s_.config);
    fetch.shape = index ? AggsShape::index : AggsShape::equity;
    ErrorContext context{std::string(name), ticker, date_text, ""};
    // One ticker failing (after the retry policy) does not abandon the others.
    try {
      AggregatesPageStream stream(client, parser, fetch, context, s_.config.retry.max_attempts);
      while (stream.next(page)) {
        const std::int64_t received = now_utc_ms();
        for (const Bar& bar : page.bars) batch.add(feed_id, ticker, bar, received);
        for (const auto& reject : page.rejects)
          s_.quarantine.add(name, s_.date, ticker, reject.reason, reject.raw_json, "gap repair");
        recovered += page.bars.size();
        page.clear();
      }
    } catch (const SoiError& e) {
      s_.errors.record(e);
      error += (error.empty() ? "" : "; ") + std::string(e.what());
    }
    s_.ingest.submit(batch);
  }
  return recovered;
}

}  // namespace soi
