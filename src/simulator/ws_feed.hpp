// The data half of one WebSocket connection: its subscriptions and a cursor in
// simulated time. produce() turns the per-second bars of every subscribed symbol
// into A (per second) and AM (per minute) events, in time order, batched into
// JSON-array frames. Bars come from the same BarProvider as /v2/aggs, so a
// streamed day equals a backfilled day bar for bar. Only the regular session is
// streamed; seconds in which a symbol did not trade produce nothing.
// Socket-free and single-threaded (one feed per connection).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/bar_aggregation.hpp"
#include "simulator/bar_provider.hpp"
#include "simulator/fault_injector.hpp"
#include "simulator/synthetic_market.hpp"
#include "simulator/ws_protocol.hpp"
#include "utils/market_calendar.hpp"

namespace soi::sim {

struct WsFeedServices {
  BarProvider& bars;
  SyntheticMarket& market;  // the synthetic option chain (A.* on options)
  const MarketCalendar& calendar;
};

// Symbols of `market` that `<EV>.*` streams on day d: a fixed list of stocks and
// indices; for options the contracts listed that day (replay) or the synthetic chain.
std::vector<std::string> ws_universe(const WsFeedServices& services, WsMarket market, Date d);

class WsFeed {
 public:
  WsFeed(WsFeedServices services, WsMarket market, std::size_t batch_max);

  // Subscriptions; sym "*" = the whole market. Events other than A/AM are
  // accepted by the protocol but carry no data here. Changes apply from the cursor on.
  void subscribe(std::string_view ev, std::string_view sym);
  void unsubscribe(std::string_view ev, std::string_view sym);
  bool has_data_subscriptions() const;

  // Stream faults (ws_close, ws_stall, ws_malformed, ws_unknown_event, ws_late).
  void set_stream_faults(std::vector<FaultSpec> faults) { faults_ = std::move(faults); }

  // Positions the cursor at the window containing t. one_session: stop for good
  // at the close of the session containing or following t (speed 0).
  void start(std::int64_t t, bool one_session);
  bool started() const { return started_; }
  bool finished() const { return finished_; }
  // Start of the next window to emit (UTC ms).
  std::int64_t cursor() const { return cursor_; }

  struct Result {
    std::size_t frames = 0;
    std::size_t events = 0;
    std::size_t bytes = 0;
    std::optional<FaultSpec> stop;    // ws_close / ws_stall fired before the window at cursor()
    std::vector<FaultKind> injected;  // ws_malformed / ws_unknown_event / ws_late frames sent
  };
  using FrameSink = std::function<void(std::string&& frame, std::size_t events)>;

  // Emits every window that closes at or before until_ms (each frame goes to
  // `sink`), stopping early once max_bytes were produced or a stop fault fires.
  Result produce(std::int64_t until_ms, std::size_t max_bytes, const FrameSink& sink);

 private:
  struct Stream {
    std::string sym;
    bool want_a = false, want_am = false;
    std::string head_a, head_am;
    DayBars day;
    std::span<const Bar> session;  // the regular-session part of `day`
    std::size_t idx = 0;           // next bar of `session`
    double cum_volume = 0, cum_notional = 0;  // day bars before the cursor (pre-market included)
    double open = 0;               // the day's official open (first session bar)
    std::vector<WindowBar> minutes;
    std::size_t minute_idx = 0;
  };
  struct Wanted {
    bool a = false, am = false;
  };

  void load_day(Date d);
  void rebuild_streams();
  Stream make_stream(const std::string& sym, Wanted wanted);
  bool symbol_fits_market(std::string_view sym) const;
  bool fault_fires(const FaultSpec& f, std::int64_t second) const;
  void append_event(Stream& s, const Bar& b, bool minute);
  void close_frame(const FrameSink& sink, Result& r);
  void emit_late(std::int64_t target, const FrameSink& sink, Result& r);

  WsFeedServices services_;
  WsMarket market_;
  std::size_t batch_max_;
  std::map<std::string, Wanted, std::less<>> subs_;  // concrete symbols
  Wanted wildcard_;
  bool dirty_ = true;
  std::vector<FaultSpec> faults_;

  bool started_ = false, finished_ = false, one_session_ = false;
  std::int64_t cursor_ = 0;
  std::int64_t first_cursor_ = 0;
  std::int64_t last_fault_second_ = -1;
  bool day_loaded_ = false;
  Date day_{};
  std::int64_t day_start_ms_ = 0, open_ms_ = 0, close_ms_ = 0;
  std::vector<Stream> streams_;
  // streams_[i]'s next session bar time (INT64_MAX when done): a compact array
  // the per-second loop scans instead of the streams themselves.
  std::vector<std::int64_t> next_ts_;

  std::string frame_;
  std::size_t frame_events_ = 0;
};

}  // namespace soi::sim
