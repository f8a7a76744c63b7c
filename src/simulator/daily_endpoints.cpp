#include "simulator/daily_endpoints.hpp"

#include <algorithm>

#include "simulator/aggs_json.hpp"
#include "simulator/api_response.hpp"
#include "simulator/bar_aggregation.hpp"
#include "simulator/occ_ticker.hpp"
#include "simulator/request_params.hpp"

namespace soi::sim {
namespace {

// The day's regular-session summary as visible at now_ms (nullopt: no data).
std::optional<SessionSummary> session_summary(const SimServices& services, std::string_view ticker, Date d,
                                              std::int64_t now_ms) {
  if (!services.calendar.is_trading_day(d)) return std::nullopt;
  const DayBars day = services.bars.day_bars(ticker, d);
  std::span<const Bar> bars(*day);
  const auto visible = std::lower_bound(bars.begin(), bars.end(), now_ms - 999,
                                        [](const Bar& b, std::int64_t t) { return b.ts_ms < t; });
  bars = bars.first(static_cast<std::size_t>(visible - bars.begin()));
  return summarize_session(bars, services.calendar.session_open_utc_ms(d), services.calendar.session_close_utc_ms(d));
}

}  // namespace

SimResponse handle_open_close(const SimServices& services, const RequestScope& scope, const std::string& ticker,
                              const std::string& date_text) {
  const Date d = parse_date_value("date", date_text);
  const auto s = session_summary(services, ticker, d, scope.now_ms);
  if (!s) return not_found_response(scope.request_id);
  const bool is_index = classify_ticker(ticker) == TickerKind::index;
  JsonWriter w;
  w.begin_object();
  w.field("status", "OK").field("from", format_date(d)).field("symbol", ticker);
  w.field("open", s->open).field("high", s->high).field("low", s->low).field("close", s->close);
  if (!is_index && (s->fields & kBarHasVolume)) w.field("volume", s->volume);
  w.field("afterHours", s->after_hours).field("preMarket", s->pre_market);
  write_new_field(w, scope);
  w.end_object();
  return json_response(w.take());
}

SimResponse handle_prev(const SimServices& services, const RequestScope& scope, const std::string& ticker) {
  AggsEnvelope envelope;
  envelope.ticker = ticker;
  envelope.adjusted = parse_bool(scope.request.params, "adjusted", true);
  std::vector<WindowBar> bars;
  const auto previous = services.calendar.last_trading_days(ny_date_of_utc_ms(scope.now_ms), 1);
  if (!previous.empty()) {
    const Date d = previous.front();
    if (const auto s = session_summary(services, ticker, d, scope.now_ms))
      bars.push_back(WindowBar{daily_bar(*s, ny_wall_to_utc_ms(d, 0)), 1});
  }
  return json_response(write_aggs_document(envelope, bars, scope, ticker));
}

}  // namespace soi::sim
