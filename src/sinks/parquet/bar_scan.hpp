// A DuckDB table function that streams BarDays straight from our vectors into
// a query: `COPY (SELECT ... FROM soi_bar_scan()) TO ...` reads the bars with no
// staging table (no copy into DuckDB storage, no CREATE/DROP per write).
// Columns: ticker VARCHAR, ts TIMESTAMPTZ, open, high, low, close, volume,
// vwap DOUBLE, transactions BIGINT, origin VARCHAR, then from BarDay::contract
// underlying VARCHAR, contract_type VARCHAR, strike DOUBLE, expiration DATE
// (NULL for a BarDay without a contract); fields the bar's mask says the wire
// did not carry come out NULL.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "processing/records.hpp"

namespace soi {

class DuckDbSession;

class BarScan {
 public:
  static constexpr const char* kFunctionName = "soi_bar_scan";

  // Registers the function on the session's database. The BarScan must outlive
  // every query that calls the function (the sink owns both).
  explicit BarScan(const DuckDbSession& session);
  ~BarScan();
  BarScan(const BarScan&) = delete;
  BarScan& operator=(const BarScan&) = delete;

  // The rows the next query will read: days[order[0]], days[order[1]], ...
  // The span must stay valid until clear(). Not thread-safe: the caller
  // serializes queries on its one connection anyway.
  void set(std::span<const BarDay> days, std::vector<std::uint32_t> order);
  void clear();

  // Emission order for `days`: sorted by ticker (stable). Returns true when the
  // emitted rows are then already in (ticker, ts) order, so a query can skip
  // its ORDER BY (the common case: each day's bars arrive sorted by ts).
  static bool ticker_order(std::span<const BarDay> days, std::vector<std::uint32_t>& order);

  struct Source {
    std::span<const BarDay> days;
    std::vector<std::uint32_t> order;
    std::uint64_t rows = 0;
  };

 private:
  std::unique_ptr<Source> source_;  // stable address handed to DuckDB as extra info
};

}  // namespace soi
