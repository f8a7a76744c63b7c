// raw/options_contracts/date=YYYY-MM-DD/data.parquet: the day's options universe,
// one row per tracked contract with the open and band it was selected with.
#include <cmath>
#include <cstdio>

#include "sinks/duckdb/duckdb_session.hpp"
#include "sinks/parquet/parquet_sink.hpp"
#include "utils/error.hpp"

namespace soi {
namespace {

constexpr const char* kStage = "soi_contracts_stage";

// A double as an exact SQL literal (round-trips; NULL when not finite).
std::string double_literal(double v) {
  if (!std::isfinite(v)) return "NULL";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return std::string("CAST(") + buffer + " AS DOUBLE)";
}

}  // namespace

PartitionWriteResult ParquetSink::write(const ContractsPartition& partition, const RunInfo& run) {
  const OptionsUniverse& u = partition.universe;
  return commit("options_contracts", partition.date, [&](const std::string& temp_path) -> std::uint64_t {
    // Runs on session_ with mutex_ held: the stage table name cannot collide.
    session_->execute(std::string("CREATE OR REPLACE TEMP TABLE ") + kStage +
                      " (ticker VARCHAR, underlying VARCHAR, contract_type VARCHAR, strike DOUBLE, "
                      "expiration VARCHAR, exercise_style VARCHAR, shares_per_contract BIGINT)");
    struct DropStage {
      const DuckDbSession& session;
      ~DropStage() {
        try {
          session.execute(std::string("DROP TABLE IF EXISTS ") + kStage);
        } catch (...) {
        }
      }
    } drop{*session_};
    {
      DuckDbAppender appender(*session_, kStage);
      for (const OptionContract& c : u.contracts) {
        appender.append(std::string_view(c.ticker));
        appender.append(std::string_view(c.underlying));
        appender.append(to_string(c.type));
        appender.append(c.strike);
        appender.append(std::string_view(format_date(c.expiration)));
        if (c.exercise_style.empty()) appender.append_null();
        else appender.append(std::string_view(c.exercise_style));
        appender.append(static_cast<std::int64_t>(c.shares_per_contract));
        appender.end_row();
      }
      appender.flush();
    }
    const std::string sql =
        std::string("COPY (SELECT ticker, underlying, contract_type, strike, CAST(expiration AS DATE) AS expiration, "
                    "exercise_style, CAST(shares_per_contract AS INTEGER) AS shares_per_contract, ") +
        double_literal(u.open) + " AS underlying_open, CAST(" + DuckDbSession::quote(to_string(u.open_source)) +
        " AS VARCHAR) AS open_source, " + double_literal(u.band_pct) + " AS band_pct, " +
        double_literal(u.strike_low) + " AS strike_low, " + double_literal(u.strike_high) +
        " AS strike_high, CAST(" + DuckDbSession::quote(format_utc_iso_ms(now_utc_ms())) +
        " AS TIMESTAMPTZ) AS ingested_at, CAST(" + DuckDbSession::quote(run.run_id) + " AS VARCHAR) AS run_id FROM " +
        kStage + " ORDER BY ticker) TO " + DuckDbSession::quote(temp_path) + copy_options();
    const std::int64_t written = session_->query_int(sql);
    if (static_cast<std::uint64_t>(written) != u.contracts.size())
      throw SoiError(ErrorCategory::storage, "parquet writer wrote " + std::to_string(written) +
                                                 " contract rows, expected " + std::to_string(u.contracts.size()));
    return u.contracts.size();
  });
}

}  // namespace soi
