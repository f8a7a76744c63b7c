#include "simulator/ws_feed.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "simulator/contracts_endpoint.hpp"
#include "simulator/occ_ticker.hpp"
#include "simulator/price_rounding.hpp"

namespace soi::sim {
namespace {

constexpr std::int64_t kSecond = 1000;
constexpr std::int64_t kMinute = 60'000;


const auto by_ts = [](const Bar& b, std::int64_t t) { return b.ts_ms < t; };

template <typename S>
std::int64_t next_time(const S& s) {
  return s.idx < s.session.size() ? s.session[s.idx].ts_ms : std::numeric_limits<std::int64_t>::max();
}

WsDayTotals totals(double open, double volume, double notional) {
  return WsDayTotals{open, volume, volume > 0 ? round_4(notional / volume) : 0.0};
}

}  // namespace

std::vector<std::string> ws_universe(const WsFeedServices& services, WsMarket market, Date d) {
  switch (market) {
    case WsMarket::stocks: return {"SPY", "QQQ", "IWM", "DIA", "AAPL", "MSFT", "NVDA", "AMZN"};
    case WsMarket::indices: return {"I:VIX", "I:SPX", "I:NDX"};
    case WsMarket::options: {
      if (auto listed = services.bars.listed_options(d)) return *listed;
      std::vector<std::string> out;
      for (const auto& c : synthetic_chain(services.market, services.calendar, d, false))
        out.push_back(format_occ_ticker(c));
      return out;
    }
  }
  return {};
}

WsFeed::WsFeed(WsFeedServices services, WsMarket market, std::size_t batch_max)
    : services_(services), market_(market), batch_max_(std::max<std::size_t>(1, batch_max)) {}

void WsFeed::subscribe(std::string_view ev, std::string_view sym) {
  if (ev != "A" && ev != "AM") return;
  Wanted& w = sym == "*" ? wildcard_ : subs_[std::string(sym)];
  (ev == "A" ? w.a : w.am) = true;
  dirty_ = true;
}

void WsFeed::unsubscribe(std::string_view ev, std::string_view sym) {
  if (ev != "A" && ev != "AM") return;
  if (sym == "*") {
    (ev == "A" ? wildcard_.a : wildcard_.am) = false;
  } else if (auto it = subs_.find(sym); it != subs_.end()) {
    (ev == "A" ? it->second.a : it->second.am) = false;
    if (!it->second.a && !it->second.am) subs_.erase(it);
  }
  dirty_ = true;
}

bool WsFeed::has_data_subscriptions() const { return wildcard_.a || wildcard_.am || !subs_.empty(); }

bool WsFeed::symbol_fits_market(std::string_view sym) const {
  switch (classify_ticker(sym)) {
    case TickerKind::stock: return market_ == WsMarket::stocks;
    case TickerKind::index: return market_ == WsMarket::indices;
    case TickerKind::option: return market_ == WsMarket::options;
  }
  return false;
}

void WsFeed::start(std::int64_t t, bool one_session) {
  cursor_ = t - (((t % kSecond) + kSecond) % kSecond);
  first_cursor_ = cursor_;
  one_session_ = one_session;
  started_ = true;
  finished_ = false;
  day_loaded_ = false;
}

void WsFeed::load_day(Date d) {
  day_ = d;
  day_start_ms_ = ny_wall_to_utc_ms(d, 0);
  open_ms_ = services_.calendar.session_open_utc_ms(d);
  close_ms_ = services_.calendar.session_close_utc_ms(d);
  day_loaded_ = true;
  streams_.clear();
  next_ts_.clear();
  dirty_ = true;
}

WsFeed::Stream WsFeed::make_stream(const std::string& sym, Wanted wanted) {
  Stream s;
  s.sym = sym;
  s.want_a = wanted.a;
  s.want_am = wanted.am;
  s.head_a = ws_event_head("A", sym);
  s.head_am = ws_event_head("AM", sym);
  s.day = services_.bars.day_bars(sym, day_);
  const std::span<const Bar> all(*s.day);
  const auto first = std::lower_bound(all.begin(), all.end(), open_ms_, by_ts);
  const auto last = std::lower_bound(first, all.end(), close_ms_, by_ts);
  s.session = std::span<const Bar>(first, last);
  const std::int64_t at = std::max(cursor_, open_ms_);
  const auto pos = std::lower_bound(all.begin(), all.end(), at, by_ts);
  for (auto it = all.begin(); it != pos; ++it) {
    s.cum_volume += it->volume;
    s.cum_notional += it->vwap * it->volume;
  }
  s.idx = static_cast<std::size_t>(std::max(pos, first) - first);
  if (!s.session.empty()) s.open = s.session.front().open;
  aggregate_windows(s.session, kMinute, s.minutes);  // kept even without AM: a later AM subscription reuses it
  while (s.minute_idx < s.minutes.size() && s.minutes[s.minute_idx].bar.ts_ms + kMinute <= at) ++s.minute_idx;
  return s;
}

void WsFeed::rebuild_streams() {
  dirty_ = false;
  std::map<std::string, Wanted, std::less<>> wanted;
  if (wildcard_.a || wildcard_.am)
    for (auto& sym : ws_universe(services_, market_, day_)) wanted[sym] = wildcard_;
  for (const auto& [sym, w] : subs_) {
    if (!symbol_fits_market(sym)) continue;
    Wanted& x = wanted[sym];
    x.a = x.a || w.a;
    x.am = x.am || w.am;
  }
  std::vector<Stream> next;
  next.reserve(wanted.size());
  for (auto& entry : wanted) {
    // Named references, not a structured binding: clang 14 (the fuzz preset) cannot capture one.
    const auto& sym = entry.first;
    const Wanted& w = entry.second;
    auto it = std::find_if(streams_.begin(), streams_.end(), [&](const Stream& s) { return s.sym == sym; });
    if (it != streams_.end()) {
      it->want_a = w.a;
      it->want_am = w.am;
      next.push_back(std::move(*it));
    } else {
      next.push_back(make_stream(sym, w));
    }
  }
  streams_ = std::move(next);
  next_ts_.resize(streams_.size());
  for (std::size_t i = 0; i < streams_.size(); ++i) next_ts_[i] = next_time(streams_[i]);
}

bool WsFeed::fault_fires(const FaultSpec& f, std::int64_t second) const {
  if (f.at_s && second == day_start_ms_ + static_cast<std::int64_t>(*f.at_s) * kSecond) return true;
  if (f.every_s && second > open_ms_ && (second - open_ms_) % (static_cast<std::int64_t>(*f.every_s) * kSecond) == 0)
    return true;
  return false;
}

void WsFeed::append_event(Stream& s, const Bar& b, bool minute) {
  if (frame_events_ == 0) {
    frame_.clear();
    frame_ += '[';
  } else {
    frame_ += ',';
  }
  append_ws_agg_event(frame_, minute ? s.head_am : s.head_a, b, market_,
                      totals(s.open, s.cum_volume, s.cum_notional), minute ? kMinute : kSecond);
  ++frame_events_;
}

void WsFeed::close_frame(const FrameSink& sink, Result& r) {
  if (frame_events_ == 0) return;
  frame_ += ']';
  r.frames += 1;
  r.events += frame_events_;
  r.bytes += frame_.size();
  const std::size_t events = frame_events_;
  frame_events_ = 0;
  std::string out;
  out.reserve(std::min<std::size_t>(batch_max_ * 240 + 16, 1 << 24));
  out.swap(frame_);
  sink(std::move(out), events);
}

void WsFeed::emit_late(std::int64_t target, const FrameSink& sink, Result& r) {
  // A target on a weekend or holiday moves back to the same time of the previous trading day.
  for (int i = 0; i < 10 && !services_.calendar.is_trading_day(ny_date_of_utc_ms(target)); ++i)
    target -= 86'400'000;
  const Date d = ny_date_of_utc_ms(target);
  if (!services_.calendar.is_trading_day(d)) return;
  const std::int64_t open = services_.calendar.session_open_utc_ms(d);
  const std::int64_t close = services_.calendar.session_close_utc_ms(d);
  for (Stream& s : streams_) {
    if (!s.want_a) continue;
    const DayBars day = d == day_ ? s.day : services_.bars.day_bars(s.sym, d);
    const std::span<const Bar> all(*day);
    const auto first = std::lower_bound(all.begin(), all.end(), open, by_ts);
    auto it = std::lower_bound(first, all.end(), std::min(target + 1, close), by_ts);
    if (it == first) continue;  // nothing traded in that session up to the target
    --it;
    Stream late;
    late.head_a = s.head_a;
    late.open = first->open;
    for (auto b = all.begin(); b <= it; ++b) {
      late.cum_volume += b->volume;
      late.cum_notional += b->vwap * b->volume;
    }
    append_event(late, *it, false);
  }
  close_frame(sink, r);
}

WsFeed::Result WsFeed::produce(std::int64_t until_ms, std::size_t max_bytes, const FrameSink& sink) {
  Result r;
  if (!started_ || finished_) return r;
  if (!day_loaded_) {
    Date d = ny_date_of_utc_ms(cursor_);
    if (!services_.calendar.is_trading_day(d) || cursor_ >= services_.calendar.session_close_utc_ms(d))
      d = services_.calendar.next_trading_day(d);
    load_day(d);
  }
  while (true) {
    if (cursor_ < open_ms_) cursor_ = open_ms_;
    if (cursor_ >= close_ms_) {
      if (one_session_) {
        finished_ = true;
        break;
      }
      // Close-to-open: nothing is streamed; the next day starts at its open
      // (emitted only once its first second has closed).
      load_day(services_.calendar.next_trading_day(day_));
      continue;
    }
    if (cursor_ + kSecond > until_ms || r.bytes >= max_bytes) break;
    if (dirty_) rebuild_streams();

    if (cursor_ != first_cursor_ && cursor_ != last_fault_second_) {
      bool stop = false;
      for (const FaultSpec& f : faults_) {
        if (!fault_fires(f, cursor_)) continue;
        switch (f.kind) {
          case FaultKind::ws_close:
          case FaultKind::ws_stall:
            if (!r.stop) r.stop = f;
            stop = true;
            break;
          case FaultKind::ws_malformed: {
            close_frame(sink, r);
            std::string bad = R"([{"ev":"A","sym":")";
            bad += streams_.empty() ? "SPY" : streams_.front().sym;
            bad += R"(","v":12,"op":)";  // cut mid-object: not JSON
            r.frames += 1;
            r.bytes += bad.size();
            sink(std::move(bad), 0);
            r.injected.push_back(f.kind);
            break;
          }
          case FaultKind::ws_unknown_event: {
            close_frame(sink, r);
            std::string odd = R"([{"ev":"ZZ","sym":")";
            odd += streams_.empty() ? "SPY" : streams_.front().sym;
            odd += R"(","zz":1,"t":)";
            append_ws_integer(odd, cursor_);
            odd += "}]";
            r.frames += 1;
            r.bytes += odd.size();
            sink(std::move(odd), 1);
            r.injected.push_back(f.kind);
            break;
          }
          case FaultKind::ws_late:
            close_frame(sink, r);
            emit_late(cursor_ - static_cast<std::int64_t>(f.lag_s) * kSecond, sink, r);
            r.injected.push_back(f.kind);
            break;
          default: break;
        }
      }
      last_fault_second_ = cursor_;
      if (stop) break;
    }

    for (std::size_t i = 0; i < next_ts_.size(); ++i) {
      if (next_ts_[i] == cursor_) {
        Stream& s = streams_[i];
        const Bar& b = s.session[s.idx++];
        next_ts_[i] = next_time(s);
        s.cum_volume += b.volume;
        s.cum_notional += b.vwap * b.volume;
        if (s.want_a) {
          append_event(s, b, false);
          if (frame_events_ >= batch_max_) close_frame(sink, r);
        }
      }
    }
    cursor_ += kSecond;
    if (cursor_ % kMinute == 0) {
      for (Stream& s : streams_) {
        while (s.minute_idx < s.minutes.size() && s.minutes[s.minute_idx].bar.ts_ms + kMinute <= cursor_) {
          if (s.want_am) {
            append_event(s, s.minutes[s.minute_idx].bar, true);
            if (frame_events_ >= batch_max_) close_frame(sink, r);
          }
          ++s.minute_idx;
        }
      }
    }
  }
  close_frame(sink, r);
  return r;
}

}  // namespace soi::sim
