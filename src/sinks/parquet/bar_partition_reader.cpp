#include "sinks/parquet/bar_partition_reader.hpp"

#include <charconv>
#include <string>

#include "config/feed_registry.hpp"
#include "sinks/duckdb/duckdb_session.hpp"
#include "utils/error.hpp"

namespace soi {
namespace {

// The universe's folder: the companion dataset of the registry's options feed.
const std::string& contracts_feed() {
  return default_feed_registry().first_of(DatasetKind::option_bars).companion->name;
}

double to_double(const std::optional<std::string>& cell) { return cell ? std::stod(*cell) : 0.0; }

std::int64_t to_int(const std::optional<std::string>& cell) {
  std::int64_t v = 0;
  if (cell) std::from_chars(cell->data(), cell->data() + cell->size(), v);
  return v;
}

std::optional<LocalObject> fetch(PartitionStore& store, const std::string& key, const ErrorContext& context) {
  try {
    return store.get(key);
  } catch (const SoiError& e) {
    throw SoiError(ErrorCategory::storage, "cannot read back " + store.location(key) + ": " + e.message(), context);
  }
}

}  // namespace

std::vector<BarDay> read_bar_partition(PartitionStore& store, std::string_view feed, Date date) {
  std::vector<BarDay> days;
  const std::string key = partition_key(feed, date);
  const ErrorContext context{std::string(feed), "", format_date(date), ""};
  const std::optional<LocalObject> object = fetch(store, key, context);
  if (!object) return days;
  const std::filesystem::path& file = object->path();
  const FeedSpec* spec = default_feed_registry().find(feed);
  const bool options = spec && spec->dataset == DatasetKind::option_bars;
  std::string sql =
      "SELECT ticker, epoch_ms(ts), open, high, low, close, volume, vwap, transactions";
  if (options) sql += ", underlying, contract_type, strike, strftime(expiration, '%Y-%m-%d')";
  sql += " FROM read_parquet(" + DuckDbSession::quote(file.string()) + ") ORDER BY ticker, ts";
  try {
    DuckDbSession session("", 1);
    const auto rows = session.query(sql);
    for (const auto& row : rows) {
      const std::string ticker = row[0].value_or("");
      if (days.empty() || days.back().ticker != ticker) {
        BarDay day;
        day.feed = std::string(feed);
        day.ticker = ticker;
        day.date = date;
        day.origin = Origin::ws;
        if (options && row[9] && row[10] && row[11] && row[12]) {
          OptionContract c;
          c.ticker = ticker;
          c.underlying = *row[9];
          c.type = *row[10] == "put" ? ContractType::put : ContractType::call;
          c.strike = std::stod(*row[11]);
          if (auto e = parse_date(*row[12])) c.expiration = *e;
          day.contract = std::move(c);
        }
        days.push_back(std::move(day));
      }
      Bar b;
      b.ts_ms = to_int(row[1]);
      b.open = to_double(row[2]);
      b.high = to_double(row[3]);
      b.low = to_double(row[4]);
      b.close = to_double(row[5]);
      if (row[6]) { b.volume = to_double(row[6]); b.fields |= kBarHasVolume; }
      if (row[7]) { b.vwap = to_double(row[7]); b.fields |= kBarHasVwap; }
      if (row[8]) { b.transactions = to_int(row[8]); b.fields |= kBarHasTransactions; }
      days.back().bars.push_back(b);
    }
  } catch (const SoiError& e) {
    throw SoiError(ErrorCategory::storage, "cannot read back " + store.location(key) + ": " + e.message(), context);
  }
  return days;
}

std::vector<OptionContract> read_contracts_partition(PartitionStore& store, Date date) {
  auto universe = read_universe_partition(store, date);
  return universe ? std::move(universe->contracts) : std::vector<OptionContract>{};
}

std::optional<OptionsUniverse> read_universe_partition(PartitionStore& store, Date date) {
  const std::string key = partition_key(contracts_feed(), date);
  const ErrorContext context{contracts_feed(), "", format_date(date), ""};
  const std::optional<LocalObject> object = fetch(store, key, context);
  if (!object) return std::nullopt;
  const std::filesystem::path& file = object->path();
  OptionsUniverse u;
  u.date = date;
  bool have_open = false;
  try {
    // The universe columns repeat on every row: one read gives both.
    DuckDbSession session("", 1);
    const auto rows = session.query(
        "SELECT ticker, underlying, contract_type, strike, strftime(expiration, '%Y-%m-%d'), exercise_style, "
        "shares_per_contract, underlying_open, open_source, band_pct, strike_low, strike_high FROM read_parquet(" +
        DuckDbSession::quote(file.string()) + ") ORDER BY ticker");
    for (const auto& row : rows) {
      if (!row[0] || !row[3] || !row[4]) continue;
      OptionContract c;
      c.ticker = *row[0];
      c.underlying = row[1].value_or("");
      c.type = row[2].value_or("call") == "put" ? ContractType::put : ContractType::call;
      c.strike = std::stod(*row[3]);
      if (auto e = parse_date(*row[4])) c.expiration = *e;
      c.exercise_style = row[5].value_or("");
      c.shares_per_contract = static_cast<int>(to_int(row[6]));
      if (!have_open && row[7]) {
        have_open = true;
        u.open = std::stod(*row[7]);
        const std::string source = row[8].value_or("");
        u.open_source = source == "first_bar"  ? OpenSource::first_bar
                        : source == "ws_op"    ? OpenSource::ws_op
                        : source == "recenter" ? OpenSource::recenter
                                               : OpenSource::open_close;
        u.band_pct = to_double(row[9]);
        u.strike_low = to_double(row[10]);
        u.strike_high = to_double(row[11]);
      }
      u.contracts.push_back(std::move(c));
    }
  } catch (const SoiError& e) {
    throw SoiError(ErrorCategory::storage, "cannot read back " + store.location(key) + ": " + e.message(), context);
  }
  if (u.contracts.empty()) return std::nullopt;
  u.underlying = u.contracts.front().underlying;
  return u;
}

}  // namespace soi
