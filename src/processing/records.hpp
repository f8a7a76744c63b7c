// Typed records shared by every source, mode (REST backfill, WebSocket stream,
// simulator replay) and sink. Kept flat and trivially copyable: the parser fills
// vectors of these without per-record allocation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "utils/time_util.hpp"

namespace soi {

// Which optional bar fields the wire carried. Indices have none of them.
enum BarFieldMask : std::uint8_t {
  kBarHasVolume = 1 << 0,
  kBarHasVwap = 1 << 1,
  kBarHasTransactions = 1 << 2,
  kBarFullFields = kBarHasVolume | kBarHasVwap | kBarHasTransactions,
};

// One aggregate bar (per-second or per-minute). ts_ms is the UTC start of the window.
struct Bar {
  std::int64_t ts_ms = 0;
  double open = 0, high = 0, low = 0, close = 0;
  double volume = 0;
  double vwap = 0;
  std::int64_t transactions = 0;
  std::uint8_t fields = 0;  // BarFieldMask
};

enum class Origin : std::uint8_t { rest, ws };
inline std::string_view to_string(Origin o) { return o == Origin::rest ? "rest" : "ws"; }

enum class ContractType : std::uint8_t { call, put };
inline std::string_view to_string(ContractType t) { return t == ContractType::call ? "call" : "put"; }

// One listed option contract, as the contracts reference endpoint describes it.
struct OptionContract {
  std::string ticker;      // O:SPY250117C00590000
  std::string underlying;  // SPY
  ContractType type = ContractType::call;
  double strike = 0;
  Date expiration;
  std::string exercise_style;    // american | european | bermudan ("" when absent)
  int shares_per_contract = 100;
};

// Where the day's opening price came from (recorded next to the universe).
// recenter: a streaming universe re-centred on demand on the underlying's last price.
enum class OpenSource : std::uint8_t { open_close, first_bar, ws_op, recenter };
inline std::string_view to_string(OpenSource s) {
  switch (s) {
    case OpenSource::open_close: return "open_close";
    case OpenSource::first_bar: return "first_bar";
    case OpenSource::ws_op: return "ws_op";
    case OpenSource::recenter: return "recenter";
  }
  return "unknown";
}

// The day's tracked options: every contract whose strike lies within
// +/-band_pct of the underlying's open, for the selected expirations.
struct OptionsUniverse {
  Date date;
  std::string underlying;  // SPY
  double open = 0;         // the underlying's opening price the band is centred on
  OpenSource open_source = OpenSource::open_close;
  double band_pct = 1.0;   // strike_range_pct
  double strike_low = 0;   // open * (1 - band_pct/100)
  double strike_high = 0;  // open * (1 + band_pct/100)
  std::vector<OptionContract> contracts;  // sorted by ticker
};

// The bars of one ticker for one trading day: the unit that sinks write.
struct BarDay {
  std::string feed;    // "spy", "vix", "options": the folder under data/raw
  std::string ticker;  // "SPY", "I:VIX", "O:SPY250117C00590000"
  Date date;
  Origin origin = Origin::rest;
  std::vector<Bar> bars;
  // Set for option contracts: written as underlying, contract_type, strike and
  // expiration columns beside the bar fields.
  std::optional<OptionContract> contract;
};

// One insight of a news article: the API's sentiment about one ticker.
struct NewsInsight {
  std::string ticker;
  std::string sentiment;  // positive | neutral | negative
  std::string reasoning;
};

// One article of the ticker news endpoint. Dedup key: id.
struct NewsArticle {
  std::string id;
  std::int64_t published_ms = 0;  // UTC
  std::string title;
  std::string description;  // "" when absent
  std::string author;       // "" when absent
  std::string article_url;
  std::string publisher;    // publisher.name
  std::vector<std::string> tickers;
  std::vector<std::string> keywords;
  std::vector<NewsInsight> insights;
};

}  // namespace soi
