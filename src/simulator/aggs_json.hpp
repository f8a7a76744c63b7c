// Wire form of aggregate bars: stock/option bars carry v, vw, n; index bars
// (I:...) carry only o, h, l, c, t, and their envelope has no "adjusted".
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "simulator/bar_aggregation.hpp"
#include "simulator/endpoint_context.hpp"
#include "simulator/json_writer.hpp"

namespace soi::sim {

// One bar object; `symbol` non-empty adds "T" (the prev endpoint's shape).
void write_bar(JsonWriter& w, const Bar& bar, bool is_index, const RequestScope& scope, std::string_view symbol = {});

struct AggsEnvelope {
  std::string ticker;
  bool adjusted = true;
  std::string next_url;  // empty: last page
};

// The whole aggregates document: ticker, queryCount, resultsCount, adjusted,
// results (omitted when empty), status, request_id, count, next_url.
std::string write_aggs_document(const AggsEnvelope& envelope, std::span<const WindowBar> bars,
                                const RequestScope& scope, std::string_view symbol = {});

}  // namespace soi::sim
