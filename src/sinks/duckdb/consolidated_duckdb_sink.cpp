#include "sinks/duckdb/consolidated_duckdb_sink.hpp"

#include <chrono>
#include <set>

#include "sinks/duckdb/duckdb_session.hpp"
#include "sinks/sql/consolidated_schema.hpp"
#include "utils/durable_file.hpp"
#include "utils/error.hpp"

namespace soi {
namespace fs = std::filesystem;

namespace {

class DuckRunner : public sql::SqlRunner {
 public:
  explicit DuckRunner(const DuckDbSession& session) : session_(session) {}
  void execute(const std::string& sql) override { session_.execute(sql); }
  std::vector<std::vector<std::optional<std::string>>> query(const std::string& sql) override {
    return session_.query(sql);
  }

 private:
  const DuckDbSession& session_;
};

std::int32_t days_since_epoch(Date d) { return static_cast<std::int32_t>(to_sys(d).time_since_epoch().count()); }

std::vector<std::string> names(const std::vector<sql::Column>& columns) {
  std::vector<std::string> out;
  for (const sql::Column& c : columns) out.push_back(c.name);
  return out;
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// Runs `body` in BEGIN ... COMMIT, rolling back on any exception.
template <typename Body>
void in_transaction(const DuckDbSession& session, const Body& body) {
  session.execute("BEGIN TRANSACTION");
  try {
    body();
    session.execute("COMMIT");
  } catch (...) {
    try {
      session.execute("ROLLBACK");
    } catch (...) {  // the original error is the one worth reporting
    }
    throw;
  }
}

// Sentiment columns (ticker -> column), one per distinct column name.
std::vector<std::pair<std::string, std::string>> sentiment_columns(std::span<const std::string> tickers) {
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string> seen;
  for (const std::string& t : tickers) {
    std::string column = sentiment_column(t);
    if (seen.insert(column).second) out.emplace_back(t, std::move(column));
  }
  return out;
}

}  // namespace

fs::path ConsolidatedDuckDbSink::default_path(const std::string& data_dir) {
  return fs::path(data_dir) / "processed" / "consolidated" / "market.duckdb";
}

ConsolidatedDuckDbSink::ConsolidatedDuckDbSink(const std::string& data_dir, const DuckDbSinkConfig& config,
                                               std::vector<std::string> news_tickers, int duckdb_threads)
    : path_(config.path.empty() ? default_path(data_dir) : fs::path(config.path)),
      news_tickers_(std::move(news_tickers)) {
  if (path_.has_parent_path()) create_directories_or_throw(path_.parent_path());
  try {
    session_ = std::make_unique<DuckDbSession>(path_.string(), duckdb_threads);
  } catch (const SoiError& e) {
    if (contains(e.message(), "Could not set lock") || contains(e.message(), "Conflicting lock"))
      throw SoiError(ErrorCategory::storage,
                     "DuckDB database " + path_.string() +
                         " is locked by another process: DuckDB allows one read-write process per file; stop "
                         "that process (or point sinks.duckdb.path elsewhere) and rerun (" +
                         e.message() + ")");
    throw SoiError(ErrorCategory::storage, "cannot open DuckDB database " + path_.string() + ": " + e.message());
  }
  try {
    DuckRunner runner(*session_);
    in_transaction(*session_, [&] { sql::ensure_schema(runner, sql::Dialect::duckdb, news_tickers_); });
  } catch (const SoiError& e) {
    throw SoiError(ErrorCategory::storage,
                   "cannot create or migrate the schema of DuckDB database " + path_.string() + ": " + e.message());
  }
}

ConsolidatedDuckDbSink::~ConsolidatedDuckDbSink() = default;

template <typename Load>
PartitionWriteResult ConsolidatedDuckDbSink::transaction(std::string_view feed, std::string_view table, Date date,
                                                         const Load& load) {
  const auto started = std::chrono::steady_clock::now();
  const std::string day = format_date(date);
  std::uint64_t rows = 0;
  try {
    std::lock_guard lock(mutex_);
    in_transaction(*session_, [&] {
      session_->execute(sql::delete_day_sql(table, day));
      rows = load();
    });
  } catch (const std::exception& e) {
    const auto* soi = dynamic_cast<const SoiError*>(&e);
    throw SoiError(ErrorCategory::storage,
                   "cannot replace " + day + " in table " + std::string(table) + " of DuckDB database " +
                       path_.string() + ": " + (soi ? soi->message() : e.what()),
                   ErrorContext{std::string(feed), "", day, ""});
  }
  PartitionWriteResult result;
  result.sink = std::string(name());
  result.feed = std::string(feed);
  result.date = day;
  result.location = path_.string() + "#" + std::string(table);
  result.rows = rows;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

PartitionWriteResult ConsolidatedDuckDbSink::write(const BarPartition& partition, const RunInfo& run) {
  if (partition.sql_table.empty())
    throw SoiError(ErrorCategory::storage, "duckdb sink: no SQL table given for bar feed '" + std::string(partition.feed) + "'",
                   ErrorContext{std::string(partition.feed), "", format_date(partition.date), ""});
  const std::string table(partition.sql_table);
  const bool options = partition.feed == "options";
  return transaction(partition.feed, table, partition.date, [&]() -> std::uint64_t {
    const std::int32_t date = days_since_epoch(partition.date);
    const std::int64_t ingested_at = now_utc_ms();
    std::uint64_t rows = 0;
    {
      DuckDbAppender app(*session_, table, names(sql::bar_columns(options)));
      for (const BarDay& d : partition.tickers) {
        const std::string_view origin = to_string(d.origin);
        for (const Bar& b : d.bars) {
          app.append_date_days(date);
          app.append(std::string_view(d.ticker));
          app.append_timestamp_ms(b.ts_ms);
          app.append(b.open);
          app.append(b.high);
          app.append(b.low);
          app.append(b.close);
          if (b.fields & kBarHasVolume) app.append(b.volume); else app.append_null();
          if (b.fields & kBarHasVwap) app.append(b.vwap); else app.append_null();
          if (b.fields & kBarHasTransactions) app.append(b.transactions); else app.append_null();
          app.append(origin);
          app.append(std::string_view(run.run_id));
          app.append_timestamp_ms(ingested_at);
          if (options) {
            if (d.contract) {
              app.append(std::string_view(d.contract->underlying));
              app.append(to_string(d.contract->type));
              app.append(d.contract->strike);
              app.append_date_days(days_since_epoch(d.contract->expiration));
            } else {
              for (int i = 0; i < 4; ++i) app.append_null();
            }
          }
          app.end_row();
          ++rows;
        }
      }
      app.flush();
    }
    if (partition.session_open_ms != 0 && partition.session_close_ms != 0)
      session_->execute(sql::upsert_session_sql(format_date(partition.date), partition.session_open_ms,
                                                partition.session_close_ms));
    return rows;
  });
}

PartitionWriteResult ConsolidatedDuckDbSink::write(const ContractsPartition& partition, const RunInfo& run) {
  const OptionsUniverse& u = partition.universe;
  return transaction("options_contracts", "option_contracts", partition.date, [&]() -> std::uint64_t {
    const std::int32_t date = days_since_epoch(partition.date);
    const std::int64_t ingested_at = now_utc_ms();
    DuckDbAppender app(*session_, "option_contracts", names(sql::contract_columns()));
    for (const OptionContract& c : u.contracts) {
      app.append_date_days(date);
      app.append(std::string_view(c.ticker));
      app.append(std::string_view(c.underlying.empty() ? u.underlying : c.underlying));
      app.append(to_string(c.type));
      app.append(c.strike);
      app.append_date_days(days_since_epoch(c.expiration));
      if (c.exercise_style.empty()) app.append_null(); else app.append(std::string_view(c.exercise_style));
      app.append(static_cast<std::int64_t>(c.shares_per_contract));
      app.append(u.open);
      app.append(to_string(u.open_source));
      app.append(u.band_pct);
      app.append(u.strike_low);
      app.append(u.strike_high);
      app.append(std::string_view(run.run_id));
      app.append_timestamp_ms(ingested_at);
      app.end_row();
    }
    app.flush();
    return u.contracts.size();
  });
}

PartitionWriteResult ConsolidatedDuckDbSink::write(const NewsPartition& partition, const RunInfo& run) {
  const auto sentiments = sentiment_columns(partition.sentiment_tickers);
  // A ticker added to the configuration since the table was created: the
  // migration runs in its own transaction, before the day's transaction.
  try {
    std::lock_guard lock(mutex_);
    DuckRunner runner(*session_);
    in_transaction(*session_, [&] {
      sql::ensure_sentiment_columns(runner, sql::Dialect::duckdb, partition.sentiment_tickers);
    });
  } catch (const SoiError& e) {
    throw SoiError(ErrorCategory::storage, "cannot add sentiment columns to DuckDB database " + path_.string() +
                                               ": " + e.message(),
                   ErrorContext{"news", "", format_date(partition.date), ""});
  }
  return transaction("news", "news", partition.date, [&]() -> std::uint64_t {
    const std::int32_t date = days_since_epoch(partition.date);
    const std::int64_t ingested_at = now_utc_ms();
    std::vector<std::string> columns = names(sql::news_columns());
    for (const auto& s : sentiments) columns.push_back(s.second);
    // The key is the id across dates: an article stored under another date
    // (its publication time was corrected) moves here, as PostgreSQL's upsert does.
    if (!partition.articles.empty()) {
      std::string ids;
      for (const NewsArticle& a : partition.articles) ids += (ids.empty() ? "" : ", ") + DuckDbSession::quote(a.id);
      session_->execute("DELETE FROM news WHERE id IN (" + ids + ")");
    }
    DuckDbAppender app(*session_, "news", columns);
    for (const NewsArticle& a : partition.articles) {
      app.append_date_days(date);
      app.append(std::string_view(a.id));
      app.append_timestamp_ms(a.published_ms);
      app.append(std::string_view(a.title));
      if (a.description.empty()) app.append_null(); else app.append(std::string_view(a.description));
      if (a.author.empty()) app.append_null(); else app.append(std::string_view(a.author));
      app.append(std::string_view(a.article_url));
      if (a.publisher.empty()) app.append_null(); else app.append(std::string_view(a.publisher));
      app.append_text_list(a.tickers);
      app.append_text_list(a.keywords);
      app.append(std::string_view(sql::insights_json(a)));
      app.append(std::string_view(run.run_id));
      app.append_timestamp_ms(ingested_at);
      for (const auto& s : sentiments) {
        const auto value = sql::sentiment_for(a, s.first);
        if (value) app.append(*value); else app.append_null();
      }
      app.end_row();
    }
    app.flush();
    return partition.articles.size();
  });
}

}  // namespace soi
