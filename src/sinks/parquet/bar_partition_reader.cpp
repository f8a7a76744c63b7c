#include "sinks/parquet/bar_partition_reader.hpp"

#include <charconv>
#include <string>

#include "sinks/duckdb/duckdb_session.hpp"
#include "utils/error.hpp"

namespace soi {
namespace {

double to_double(const std::optional<std::string>& cell) { return cell ? std::stod(*cell) : 0.0; }

std::int64_t to_int(const std::optional<std::string>& cell) {
  std::int64_t v = 0;
  if (cell) std::from_chars(cell->data(), cell->data() + cell->size(), v);
  return v;
}

}  // namespace

std::vector<BarDay> read_bar_partition(const std::filesystem::path& file, std::string_view feed, Date date) {
  std::vector<BarDay> days;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return days;
  const bool options = feed == "options";
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
    throw SoiError(ErrorCategory::storage, "cannot read back " + file.string() + ": " + e.message(),
                   ErrorContext{std::string(feed), "", format_date(date), ""});
  }
  return days;
}

std::vector<OptionContract> read_contracts_partition(const std::filesystem::path& file, Date date) {
  std::vector<OptionContract> contracts;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return contracts;
  try {
    DuckDbSession session("", 1);
    const auto rows = session.query(
        "SELECT ticker, underlying, contract_type, strike, strftime(expiration, '%Y-%m-%d'), exercise_style, "
        "shares_per_contract FROM read_parquet(" + DuckDbSession::quote(file.string()) + ") ORDER BY ticker");
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
      contracts.push_back(std::move(c));
    }
  } catch (const SoiError& e) {
    throw SoiError(ErrorCategory::storage, "cannot read back " + file.string() + ": " + e.message(),
                   ErrorContext{"options_contracts", "", format_date(date), ""});
  }
  return contracts;
}

std::optional<OptionsUniverse> read_universe_partition(const std::filesystem::path& file, Date date) {
  OptionsUniverse u;
  u.contracts = read_contracts_partition(file, date);
  if (u.contracts.empty()) return std::nullopt;
  u.date = date;
  u.underlying = u.contracts.front().underlying;
  try {
    DuckDbSession session("", 1);
    const auto rows = session.query(
        "SELECT any_value(underlying_open), any_value(open_source), any_value(band_pct), any_value(strike_low), "
        "any_value(strike_high) FROM read_parquet(" + DuckDbSession::quote(file.string()) + ")");
    if (!rows.empty() && rows[0][0]) {
      u.open = std::stod(*rows[0][0]);
      const std::string source = rows[0][1].value_or("");
      u.open_source = source == "first_bar" ? OpenSource::first_bar
                      : source == "ws_op"   ? OpenSource::ws_op
                      : source == "recenter" ? OpenSource::recenter
                                             : OpenSource::open_close;
      u.band_pct = rows[0][2] ? std::stod(*rows[0][2]) : 0;
      u.strike_low = rows[0][3] ? std::stod(*rows[0][3]) : 0;
      u.strike_high = rows[0][4] ? std::stod(*rows[0][4]) : 0;
    }
  } catch (const SoiError& e) {
    throw SoiError(ErrorCategory::storage, "cannot read back " + file.string() + ": " + e.message(),
                   ErrorContext{"options_contracts", "", format_date(date), ""});
  }
  return u;
}

}  // namespace soi
