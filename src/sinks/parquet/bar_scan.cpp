#include "sinks/parquet/bar_scan.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <exception>
#include <string>

#include "sinks/duckdb/duckdb_session.hpp"
#include "utils/error.hpp"

namespace soi {
namespace {

enum Column : idx_t {
  kTicker, kTs, kOpen, kHigh, kLow, kClose, kVolume, kVwap, kTransactions, kOrigin,
  kUnderlying, kContractType, kStrike, kExpiration,  // BarDay::contract; NULL without one
  kColumns
};

constexpr std::array<const char*, kColumns> kNames = {
    "ticker", "ts",     "open",         "high",   "low",        "close",         "volume",
    "vwap",   "transactions", "origin", "underlying", "contract_type", "strike", "expiration"};
constexpr std::array<duckdb_type, kColumns> kTypes = {
    DUCKDB_TYPE_VARCHAR, DUCKDB_TYPE_TIMESTAMP_TZ, DUCKDB_TYPE_DOUBLE, DUCKDB_TYPE_DOUBLE, DUCKDB_TYPE_DOUBLE,
    DUCKDB_TYPE_DOUBLE,  DUCKDB_TYPE_DOUBLE,       DUCKDB_TYPE_DOUBLE, DUCKDB_TYPE_BIGINT, DUCKDB_TYPE_VARCHAR,
    DUCKDB_TYPE_VARCHAR, DUCKDB_TYPE_VARCHAR,      DUCKDB_TYPE_DOUBLE, DUCKDB_TYPE_DATE};
constexpr std::array<Column, 4> kContractColumns = {kUnderlying, kContractType, kStrike, kExpiration};

// Where the scan is: position in `order`, then bar index inside that day.
struct Cursor {
  std::size_t day = 0;
  std::size_t bar = 0;
};

template <class T>
T* data(duckdb_vector v) {
  return static_cast<T*>(duckdb_vector_get_data(v));
}

// A column's validity mask, all-valid for this chunk. Requested only when a
// NULL is about to be written; masks stay unallocated for full-field bars.
std::uint64_t* writable_validity(duckdb_vector v, idx_t capacity) {
  duckdb_vector_ensure_validity_writable(v);
  std::uint64_t* mask = duckdb_vector_get_validity(v);
  std::memset(mask, 0xFF, ((capacity + 63) / 64) * sizeof(std::uint64_t));
  return mask;
}

// Marks rows [first, first + count) NULL, a 64-row word at a time where possible.
void set_rows_invalid(std::uint64_t* mask, idx_t first, idx_t count) {
  idx_t r = first;
  const idx_t end = first + count;
  for (; r < end && (r % 64) != 0; ++r) duckdb_validity_set_row_invalid(mask, r);
  for (; r + 64 <= end; r += 64) mask[r / 64] = 0;
  for (; r < end; ++r) duckdb_validity_set_row_invalid(mask, r);
}

void fill(const BarScan::Source& src, Cursor& cur, duckdb_data_chunk out) {
  const idx_t capacity = duckdb_vector_size();
  std::array<duckdb_vector, kColumns> vec{};
  for (idx_t c = 0; c < kColumns; ++c) vec[c] = duckdb_data_chunk_get_vector(out, c);
  auto* ts = data<std::int64_t>(vec[kTs]);
  auto* open = data<double>(vec[kOpen]);
  auto* high = data<double>(vec[kHigh]);
  auto* low = data<double>(vec[kLow]);
  auto* close = data<double>(vec[kClose]);
  auto* volume = data<double>(vec[kVolume]);
  auto* vwap = data<double>(vec[kVwap]);
  auto* transactions = data<std::int64_t>(vec[kTransactions]);
  std::uint64_t* null_volume = nullptr;
  std::uint64_t* null_vwap = nullptr;
  std::uint64_t* null_transactions = nullptr;
  // A chunk may be reused between calls: a stale mask left from the previous
  // chunk must not mark rows NULL, so reset any mask that is already there.
  for (Column c : {kVolume, kVwap, kTransactions})
    if (duckdb_vector_get_validity(vec[c])) {
      std::uint64_t* mask = writable_validity(vec[c], capacity);
      (c == kVolume ? null_volume : c == kVwap ? null_vwap : null_transactions) = mask;
    }
  auto* strike = data<double>(vec[kStrike]);
  auto* expiration = data<duckdb_date>(vec[kExpiration]);
  std::array<std::uint64_t*, kContractColumns.size()> null_contract{};
  for (std::size_t k = 0; k < kContractColumns.size(); ++k)
    if (duckdb_vector_get_validity(vec[kContractColumns[k]]))
      null_contract[k] = writable_validity(vec[kContractColumns[k]], capacity);

  idx_t n = 0;
  while (n < capacity && cur.day < src.order.size()) {
    const BarDay& day = src.days[src.order[cur.day]];
    const std::string_view origin = to_string(day.origin);
    const std::size_t take = std::min<std::size_t>(day.bars.size() - cur.bar, capacity - n);
    // Contract columns are constant per BarDay: filled (or marked NULL) once per run of rows.
    if (take > 0) {
      const idx_t first = n;
      if (day.contract) {
        const OptionContract& c = *day.contract;
        const std::string_view type = to_string(c.type);
        const double strike_value = c.strike;
        const duckdb_date expiration_value{static_cast<std::int32_t>(to_sys(c.expiration).time_since_epoch().count())};
        for (idx_t r = first; r < first + take; ++r) {
          // Short strings ("SPY", "call") are inlined by DuckDB: no allocation per row.
          duckdb_vector_assign_string_element_len(vec[kUnderlying], r, c.underlying.data(), c.underlying.size());
          duckdb_vector_assign_string_element_len(vec[kContractType], r, type.data(), type.size());
          strike[r] = strike_value;
          expiration[r] = expiration_value;
        }
      } else {
        for (std::size_t k = 0; k < kContractColumns.size(); ++k) {
          if (!null_contract[k]) null_contract[k] = writable_validity(vec[kContractColumns[k]], capacity);
          set_rows_invalid(null_contract[k], first, take);
        }
      }
    }
    for (std::size_t k = 0; k < take; ++k, ++n) {
      const Bar& b = day.bars[cur.bar + k];
      duckdb_vector_assign_string_element_len(vec[kTicker], n, day.ticker.data(), day.ticker.size());
      duckdb_vector_assign_string_element_len(vec[kOrigin], n, origin.data(), origin.size());
      ts[n] = b.ts_ms * 1000;  // TIMESTAMPTZ: microseconds since the epoch, UTC
      open[n] = b.open;
      high[n] = b.high;
      low[n] = b.low;
      close[n] = b.close;
      volume[n] = b.volume;
      vwap[n] = b.vwap;
      transactions[n] = b.transactions;
      if (b.fields != kBarFullFields) [[unlikely]] {
        if (!(b.fields & kBarHasVolume)) {
          if (!null_volume) null_volume = writable_validity(vec[kVolume], capacity);
          duckdb_validity_set_row_invalid(null_volume, n);
        }
        if (!(b.fields & kBarHasVwap)) {
          if (!null_vwap) null_vwap = writable_validity(vec[kVwap], capacity);
          duckdb_validity_set_row_invalid(null_vwap, n);
        }
        if (!(b.fields & kBarHasTransactions)) {
          if (!null_transactions) null_transactions = writable_validity(vec[kTransactions], capacity);
          duckdb_validity_set_row_invalid(null_transactions, n);
        }
      }
    }
    cur.bar += take;
    if (cur.bar == day.bars.size()) {
      ++cur.day;
      cur.bar = 0;
    }
  }
  duckdb_data_chunk_set_size(out, n);
}

// C callbacks: no exception may cross into DuckDB.
void bind(duckdb_bind_info info) {
  const auto* src = static_cast<const BarScan::Source*>(duckdb_bind_get_extra_info(info));
  for (idx_t c = 0; c < kColumns; ++c) {
    duckdb_logical_type type = duckdb_create_logical_type(kTypes[c]);
    duckdb_bind_add_result_column(info, kNames[c], type);
    duckdb_destroy_logical_type(&type);
  }
  duckdb_bind_set_cardinality(info, src->rows, true);
}

void init(duckdb_init_info info) {
  duckdb_init_set_init_data(info, new Cursor{}, [](void* p) { delete static_cast<Cursor*>(p); });
  duckdb_init_set_max_threads(info, 1);  // one cursor, emission order is the file order
}

void scan(duckdb_function_info info, duckdb_data_chunk output) {
  try {
    const auto* src = static_cast<const BarScan::Source*>(duckdb_function_get_extra_info(info));
    auto* cur = static_cast<Cursor*>(duckdb_function_get_init_data(info));
    fill(*src, *cur, output);
  } catch (const std::exception& e) {
    duckdb_function_set_error(info, e.what());
  }
}

}  // namespace

BarScan::BarScan(const DuckDbSession& session) : source_(std::make_unique<Source>()) {
  duckdb_table_function fn = duckdb_create_table_function();
  duckdb_table_function_set_name(fn, kFunctionName);
  duckdb_table_function_set_extra_info(fn, source_.get(), nullptr);
  duckdb_table_function_set_bind(fn, bind);
  duckdb_table_function_set_init(fn, init);
  duckdb_table_function_set_function(fn, scan);
  const duckdb_state state = duckdb_register_table_function(session.connection(), fn);
  duckdb_destroy_table_function(&fn);
  if (state == DuckDBError)
    throw SoiError(ErrorCategory::storage, std::string("duckdb: cannot register table function ") + kFunctionName);
}

BarScan::~BarScan() = default;

void BarScan::set(std::span<const BarDay> days, std::vector<std::uint32_t> order) {
  source_->days = days;
  source_->order = std::move(order);
  source_->rows = 0;
  for (std::uint32_t i : source_->order) source_->rows += days[i].bars.size();
}

void BarScan::clear() {
  source_->days = {};
  source_->order.clear();
  source_->rows = 0;
}

bool BarScan::ticker_order(std::span<const BarDay> days, std::vector<std::uint32_t>& order) {
  order.resize(days.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return days[a].ticker < days[b].ticker; });
  const BarDay* prev = nullptr;
  for (std::uint32_t i : order) {
    const auto& bars = days[i].bars;
    if (bars.empty()) continue;
    if (prev && prev->ticker == days[i].ticker && prev->bars.back().ts_ms > bars.front().ts_ms) return false;
    for (std::size_t k = 1; k < bars.size(); ++k)
      if (bars[k].ts_ms < bars[k - 1].ts_ms) return false;
    prev = &days[i];
  }
  return true;
}

}  // namespace soi
