#include "simulator/aggs_json.hpp"

#include "simulator/api_response.hpp"
#include "simulator/occ_ticker.hpp"

namespace soi::sim {

void write_bar(JsonWriter& w, const Bar& b, bool is_index, const RequestScope& scope, std::string_view symbol) {
  w.begin_object();
  if (!symbol.empty()) w.field("T", symbol);
  if (is_index) {
    w.field("o", b.open).field("h", b.high).field("l", b.low).field("c", b.close).field("t", b.ts_ms);
  } else {
    // Replayed bars may lack volume/vwap/transactions; absent on the wire as well.
    if (b.fields & kBarHasVolume) w.field("v", b.volume);
    if (b.fields & kBarHasVwap) w.field("vw", b.vwap);
    w.field("o", b.open).field("c", b.close).field("h", b.high).field("l", b.low).field("t", b.ts_ms);
    if (b.fields & kBarHasTransactions) w.field("n", b.transactions);
  }
  write_new_field(w, scope);
  w.end_object();
}

std::string write_aggs_document(const AggsEnvelope& envelope, std::span<const WindowBar> bars,
                                const RequestScope& scope, std::string_view symbol) {
  const bool is_index = classify_ticker(envelope.ticker) == TickerKind::index;
  std::int64_t query_count = 0;
  for (const auto& wb : bars) query_count += wb.base_count;
  JsonWriter w(256 + bars.size() * 112);
  w.begin_object();
  w.field("ticker", envelope.ticker);
  w.field("queryCount", query_count);
  w.field("resultsCount", bars.size());
  if (!is_index) w.field("adjusted", envelope.adjusted);
  if (!bars.empty()) {
    w.key("results").begin_array();
    for (const auto& wb : bars) write_bar(w, wb.bar, is_index, scope, symbol);
    w.end_array();
  }
  w.field("status", "OK");
  w.field("request_id", scope.request_id);
  w.field("count", bars.size());
  if (!envelope.next_url.empty()) w.field("next_url", envelope.next_url);
  write_new_field(w, scope);
  w.end_object();
  return w.take();
}

}  // namespace soi::sim
