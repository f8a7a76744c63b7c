// Private to the stream session's files (stream_session*.cpp): the state of
// one streamed session, shared by the writer loop (stream_session.cpp), the
// recovery of an earlier run's data (stream_session_recovery.cpp) and the
// options universe (stream_session_universe.cpp).
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "monitoring/heartbeat.hpp"
#include "monitoring/logging.hpp"
#include "orchestrator/gap_repair.hpp"
#include "orchestrator/news_backfill.hpp"
#include "orchestrator/options_backfill.hpp"
#include "orchestrator/stream_ingest.hpp"
#include "orchestrator/superseded_days.hpp"
#include "orchestrator/ws_reader.hpp"
#include "processing/late_data.hpp"
#include "processing/stream_day_book.hpp"
#include "sinks/parquet/bar_partition_reader.hpp"
#include "utils/error.hpp"
#include "orchestrator/stream_session.hpp"
#include "utils/time_util.hpp"

namespace soi {
namespace stream_session_detail {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Heartbeat sources, one per market connection group.
constexpr std::array<WsMarket, 3> kMarkets = {WsMarket::stocks, WsMarket::indices, WsMarket::options};
constexpr std::size_t market_index(WsMarket m) { return static_cast<std::size_t>(m); }

inline WsMarketUrls market_urls(const WebSocketConfig& ws) {
  if (ws.base_url.empty())
    return WsMarketUrls::for_feed(ws.provider == "polygon" ? WsProvider::polygon : WsProvider::massive,
                                  ws.feed == "delayed" ? WsFeed::delayed : WsFeed::realtime);
  return WsMarketUrls::under(ws.base_url);
}

}  // namespace stream_session_detail

struct StreamSession::Impl {
  Impl(StreamServices services, SessionWindow window, StreamControl& ctl)
      : s(services),
        cfg(services.backfill.config),
        session(std::move(window)),
        control(ctl),
        book(session.date, static_cast<std::size_t>(std::max<std::int64_t>(0, session.close_ms - session.open_ms) / 1000)),
        late(cfg.settings.late_data, IngestMode::streaming, &services.backfill.calendar),
        job(services.backfill),
        urls(stream_session_detail::market_urls(cfg.sources.websocket)),
        feeds(services.feeds) {
    for (std::size_t i = 0; i < feeds.size(); ++i) {
      if (!feeds[i].streamed()) continue;
      const StreamFeed feed{static_cast<std::uint8_t>(i)};
      streamed.push_back(feed);
      if (feeds[i].dataset == DatasetKind::option_bars && feeds[i].enabled(cfg)) options_feed = feed;
    }
  }

  StreamSessionSummary run();

  // ---- recovery ----
  void seed_from_committed(StreamDayBook& target, Date d);
  StreamDayBook& other_day(Date d);  // a day other than the session's, seeded on first use
  void recover();
  // ---- the writer's record path ----
  // fill_only (a replayed record older than a backfill of its day): the record
  // only fills a (ticker, second) the committed day lacks.
  void route(const WalRecord& record, Date current, bool live, bool fill_only = false);
  void add_to(StreamDayBook& day, StreamFeed feed, const WalRecord& r, bool fill_only);
  void process(const WalRecord& record) { route(record, session.date, true); }
  void quarantine(const WalRecord& record, std::string_view reason);
  bool feed_enabled(StreamFeed feed) const { return spec(feed).enabled(cfg); }
  const FeedSpec& spec(StreamFeed feed) const { return feeds[feed.index]; }
  // A log record's feed id as a streamed feed of the registry (nullopt: a corrupt or foreign record).
  std::optional<StreamFeed> stream_feed(std::uint8_t id) const;
  const FeedSpec& options_spec() const { return spec(*options_feed); }
  // The options universe's dataset (data/raw/<name>): the options feed's
  // companion (the registry guarantees an option_bars feed has one).
  std::string contracts_dataset() const;
  // ---- connections ----
  WsReaderConfig reader_config(WsMarket market, StreamFeed feed, std::size_t shard, std::string url,
                               std::vector<std::string> topics);
  void start_reader(WsReaderConfig config);
  void start_base_readers();
  WsReader* stocks_reader() const;  // the connection carrying the underlying's open and price
  // ---- options universe ----
  void maybe_discover_universe();
  void track_contracts(const std::vector<OptionContract>& contracts);
  void recenter();
  // ---- periodic work ----
  // last: the day's final commit, which moves the bars out of `day` (no copy).
  bool commit_day(StreamDayBook& day, const BarWindow& window, bool all_feeds, bool last = false);
  void poll_news();
  void check_staleness(std::int64_t now_ms);
  std::int64_t market_now();
  std::string fatal_error() const;
  bool fatal_is_auth() const;
  void stream_until_close(StreamSessionSummary& summary);
  void finish(StreamSessionSummary& summary);

  StreamServices s;
  const Config& cfg;
  SessionWindow session;
  StreamControl& control;
  StreamDayBook book;
  std::map<int, StreamDayBook> other_days;  // late records accepted by policy, or recovered from the log
  LateDataPolicy late;
  BackfillJob job;
  WsMarketUrls urls;
  const FeedRegistry& feeds;
  std::vector<StreamFeed> streamed;        // every streamed feed, registry order
  std::optional<StreamFeed> options_feed;  // the option_bars feed, when enabled: a universe to discover

  std::unique_ptr<StreamIngest> ingest;
  std::unique_ptr<GapJournal> gap_journal;
  std::unique_ptr<GapRepairer> gaps;
  std::array<StreamCounters, 3> counters;
  std::vector<std::unique_ptr<HeartbeatWriter>> heartbeats;
  std::array<bool, 3> stale_alerted{};
  std::vector<std::unique_ptr<WsReader>> readers;
  std::size_t options_connections = 0;

  std::optional<OptionsUniverse> universe;
  std::optional<OptionsUniverse> committed_universe;  // an earlier run's of the day (a restart)
  std::unique_ptr<OptionsBackfillJob> options_job;
  stream_session_detail::Clock::time_point open_seen_at{};  // when market time first reached the open
  stream_session_detail::Clock::time_point next_discovery{};
  std::string fatal;
  std::string fatal_category;  // "auth", "network", ... when fatal is set
  bool keep_log = false;       // a recovered day failed to commit: the log keeps everything

  std::uint64_t quarantine_at_start = 0;
  std::uint64_t late_rejects = 0, replayed = 0, commits = 0, news_articles = 0;
  std::uint64_t superseded = 0;  // replayed records a later backfill of their day already had
  std::uint64_t committed_added = ~0ull;  // book.bars_added() at the last commit
};

}  // namespace soi
