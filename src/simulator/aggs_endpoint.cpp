#include "simulator/aggs_endpoint.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "simulator/aggs_json.hpp"
#include "simulator/api_response.hpp"
#include "simulator/bar_aggregation.hpp"
#include "simulator/cursor_codec.hpp"
#include "simulator/daily_walk.hpp"
#include "simulator/price_rounding.hpp"
#include "simulator/request_params.hpp"

namespace soi::sim {
namespace {

constexpr int kDefaultAggsLimit = 5000;
constexpr int kMaxAggsLimit = 50000;
constexpr std::int64_t kDaySpan = 0;  // marker: one bar per trading day

struct AggsQuery {
  std::string ticker;
  std::string multiplier_text;
  std::string timespan;
  std::string from_text, to_text;
  std::int64_t span_ms = 1000;
  std::int64_t from_ms = 0, to_ms = 0;  // inclusive bounds on window starts
  int limit = kDefaultAggsLimit;
  bool ascending = true;
  bool adjusted = true;
};

std::optional<std::int64_t> parse_ms(std::string_view text) {
  if (text.empty() || text.size() > 15) return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// 'from' dates start at 00:00 New York; 'to' dates include that whole day.
std::int64_t parse_bound(std::string_view name, std::string_view text, bool is_to) {
  if (auto ms = parse_ms(text)) return *ms;
  if (auto d = parse_date(text)) return is_to ? ny_wall_to_utc_ms(add_days(*d, 1), 0) - 1 : ny_wall_to_utc_ms(*d, 0);
  throw BadRequest(fmt::format("Could not parse the '{}' parameter: '{}' (use YYYY-MM-DD or a Unix timestamp in "
                               "milliseconds)",
                               name, text));
}

AggsQuery parse_query(const RequestScope& scope, const std::vector<std::string>& seg) {
  AggsQuery q;
  q.ticker = seg[3];
  q.multiplier_text = seg[5];
  q.timespan = seg[6];
  q.from_text = seg[7];
  q.to_text = seg[8];
  int multiplier = 0;
  auto [end, ec] = std::from_chars(q.multiplier_text.data(), q.multiplier_text.data() + q.multiplier_text.size(),
                                   multiplier);
  if (ec != std::errc{} || end != q.multiplier_text.data() + q.multiplier_text.size() || multiplier < 1)
    throw BadRequest(fmt::format("Invalid multiplier '{}': a positive integer is required", q.multiplier_text));
  if (q.timespan == "second") {
    q.span_ms = 1000LL * multiplier;
  } else if (q.timespan == "minute") {
    q.span_ms = 60'000LL * multiplier;
  } else if (q.timespan == "hour") {
    q.span_ms = 3'600'000LL * multiplier;
  } else if (q.timespan == "day" && multiplier == 1) {
    q.span_ms = kDaySpan;
  } else if (q.timespan == "day" || q.timespan == "week" || q.timespan == "month" || q.timespan == "quarter" ||
             q.timespan == "year") {
    throw BadRequest(fmt::format("timespan '{}' with multiplier {} is not supported by the simulator (use second, "
                                 "minute, hour or 1/day)",
                                 q.timespan, multiplier));
  } else {
    throw BadRequest(fmt::format("Invalid timespan '{}': one of second, minute, hour, day, week, month, quarter, year",
                                 q.timespan));
  }
  q.from_ms = parse_bound("from", q.from_text, false);
  q.to_ms = parse_bound("to", q.to_text, true);
  if (q.to_ms < q.from_ms) throw BadRequest("The parameter 'to' cannot be a time that occurs before 'from'");

  // A cursor carries the original limit/sort/adjusted; other parameters are ignored then.
  QueryParams options = scope.request.params;
  if (auto cursor = scope.request.params.get("cursor")) {
    auto decoded = decode_cursor(*cursor);
    if (!decoded) throw BadRequest("Invalid cursor");
    options = *decoded;
  }
  q.limit = parse_limit(options, kDefaultAggsLimit, kMaxAggsLimit);
  q.ascending = parse_choice(options, "sort", "asc", {"asc", "desc"}) == "asc";
  q.adjusted = parse_bool(options, "adjusted", true);
  return q;
}

// Appends a window, folding it into the previous one when both halves of a
// window straddle two New York days (only possible with multi-hour spans).
void append_window(std::vector<WindowBar>& page, const WindowBar& wb, bool ascending) {
  if (!page.empty() && page.back().bar.ts_ms == wb.bar.ts_ms) {
    Bar& b = page.back().bar;
    const Bar& earlier = ascending ? b : wb.bar;
    const Bar& later = ascending ? wb.bar : b;
    Bar merged = earlier;
    merged.close = later.close;
    merged.high = std::max(earlier.high, later.high);
    merged.low = std::min(earlier.low, later.low);
    merged.volume = earlier.volume + later.volume;
    merged.transactions = earlier.transactions + later.transactions;
    if (merged.volume > 0)
      merged.vwap = std::clamp((earlier.vwap * earlier.volume + later.vwap * later.volume) / merged.volume,
                               merged.low, merged.high);
    merged.fields = earlier.fields & later.fields;
    b = merged;
    page.back().base_count += wb.base_count;
    return;
  }
  page.push_back(wb);
}

// The windows of one day that start inside [from_ms, to_ms], ascending.
void day_windows(const SimServices& services, const AggsQuery& q, Date d, std::int64_t now_ms,
                 std::vector<WindowBar>& out) {
  const DayBars day = services.bars.day_bars(q.ticker, d);
  std::span<const Bar> bars(*day);
  // Nothing from the future: today's bars stop at the last completed second.
  const auto visible_end = std::lower_bound(bars.begin(), bars.end(), now_ms - 999,
                                            [](const Bar& b, std::int64_t t) { return b.ts_ms < t; });
  bars = bars.first(static_cast<std::size_t>(visible_end - bars.begin()));
  if (bars.empty()) return;
  const auto by_ts = [](const Bar& b, std::int64_t t) { return b.ts_ms < t; };
  if (q.span_ms == kDaySpan) {
    const auto s = summarize_session(bars, services.calendar.session_open_utc_ms(d),
                                     services.calendar.session_close_utc_ms(d));
    const std::int64_t t = ny_wall_to_utc_ms(d, 0);
    if (s && t >= q.from_ms && t <= q.to_ms) out.push_back(WindowBar{daily_bar(*s, t), s->base_count});
    return;
  }
  if (q.span_ms == 1000) {
    out.reserve(out.size() + bars.size());
    const auto first = std::lower_bound(bars.begin(), bars.end(), q.from_ms, by_ts);
    for (auto it = first; it != bars.end() && it->ts_ms <= q.to_ms; ++it) out.push_back(WindowBar{*it, 1});
    return;
  }
  std::vector<WindowBar> windows;
  aggregate_windows(bars, q.span_ms, windows);
  for (const auto& wb : windows)
    if (wb.bar.ts_ms >= q.from_ms && wb.bar.ts_ms <= q.to_ms) out.push_back(wb);
}

std::string next_url(const RequestScope& scope, const AggsQuery& q, std::int64_t next_ms) {
  QueryParams cursor;
  cursor.set("limit", std::to_string(q.limit));
  cursor.set("sort", q.ascending ? "asc" : "desc");
  cursor.set("adjusted", q.adjusted ? "true" : "false");
  // Ascending pages move 'from' forward; descending pages move 'to' back.
  const std::string from = q.ascending ? std::to_string(next_ms) : q.from_text;
  const std::string to = q.ascending ? q.to_text : std::to_string(next_ms);
  return fmt::format("{}/v2/aggs/ticker/{}/range/{}/{}/{}/{}?cursor={}", scope.base_url,
                     percent_encode_segment(q.ticker), q.multiplier_text, q.timespan, percent_encode_segment(from),
                     percent_encode_segment(to), encode_cursor(cursor));
}

}  // namespace

SimResponse handle_aggs_range(const SimServices& services, const RequestScope& scope,
                              const std::vector<std::string>& segments) {
  const AggsQuery q = parse_query(scope, segments);

  // Days to scan, clipped to the simulated range and to today (no future data).
  const std::int64_t lo_ms = std::max(q.from_ms, ny_wall_to_utc_ms(kFirstSimDate, 0));
  const std::int64_t hi_ms = std::min({q.to_ms, scope.now_ms, ny_wall_to_utc_ms(kLastSimDate, 0)});
  std::vector<WindowBar> page;
  const auto wanted = static_cast<std::size_t>(q.limit) + 1;  // one extra tells whether a next page exists
  if (lo_ms <= hi_ms) {
    page.reserve(std::min<std::size_t>(wanted, 65536));
    const auto first_day = to_sys(ny_date_of_utc_ms(lo_ms));
    const auto last_day = to_sys(ny_date_of_utc_ms(hi_ms));
    std::vector<WindowBar> windows;
    for (auto day = q.ascending ? first_day : last_day; first_day <= day && day <= last_day && page.size() < wanted;
         day += date::days{q.ascending ? 1 : -1}) {
      if (!services.calendar.is_trading_day(Date{day})) continue;
      windows.clear();
      day_windows(services, q, Date{day}, scope.now_ms, windows);
      if (q.ascending) {
        for (const auto& wb : windows) append_window(page, wb, true);
      } else {
        for (auto it = windows.rbegin(); it != windows.rend(); ++it) append_window(page, *it, false);
      }
    }
  }

  AggsEnvelope envelope;
  envelope.ticker = q.ticker;
  envelope.adjusted = q.adjusted;
  if (page.size() > static_cast<std::size_t>(q.limit)) {
    envelope.next_url = next_url(scope, q, page[static_cast<std::size_t>(q.limit)].bar.ts_ms);
    page.resize(static_cast<std::size_t>(q.limit));
  }
  SimResponse response;
  if (scope.bad_record && !page.empty()) {
    Bar& b = page[page.size() / 2].bar;
    b.high = round_cents(b.low - std::max(0.01, (b.high - b.low) + 0.01));
    response.bad_record_applied = true;
  }
  response.body = write_aggs_document(envelope, page, scope);
  return response;
}

}  // namespace soi::sim
