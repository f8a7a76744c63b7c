// Validation of query parameters shared by the endpoints. Every failure throws
// BadRequest with a sentence a user can act on (the router answers 400).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "simulator/endpoint_context.hpp"
#include "simulator/query_params.hpp"
#include "utils/time_util.hpp"

namespace soi::sim {

// Missing -> fallback; above max -> max (as the real API clamps); < 1 or not an integer -> BadRequest.
int parse_limit(const QueryParams& params, int fallback, int max);
// "true"/"false" (missing -> fallback).
bool parse_bool(const QueryParams& params, std::string_view key, bool fallback);
// One of `allowed` (missing -> fallback).
std::string parse_choice(const QueryParams& params, std::string_view key, std::string_view fallback,
                         std::initializer_list<std::string_view> allowed);
// Strict YYYY-MM-DD.
Date parse_date_value(std::string_view key, std::string_view text);
double parse_number_value(std::string_view key, std::string_view text);

// A value with optional comparison variants: key, key.gt, key.gte, key.lt, key.lte.
template <typename T>
struct RangeFilter {
  std::optional<T> eq, gt, gte, lt, lte;

  bool active() const { return eq || gt || gte || lt || lte; }
  bool matches(const T& v) const {
    return (!eq || v == *eq) && (!gt || v > *gt) && (!gte || v >= *gte) && (!lt || v < *lt) && (!lte || v <= *lte);
  }

  template <typename Parse>
  static RangeFilter parse(const QueryParams& params, std::string_view key, Parse parse_value) {
    RangeFilter f;
    const std::string k(key);
    if (auto v = params.get(k)) f.eq = parse_value(k, *v);
    if (auto v = params.get(k + ".gt")) f.gt = parse_value(k + ".gt", *v);
    if (auto v = params.get(k + ".gte")) f.gte = parse_value(k + ".gte", *v);
    if (auto v = params.get(k + ".lt")) f.lt = parse_value(k + ".lt", *v);
    if (auto v = params.get(k + ".lte")) f.lte = parse_value(k + ".lte", *v);
    return f;
  }
};

}  // namespace soi::sim
