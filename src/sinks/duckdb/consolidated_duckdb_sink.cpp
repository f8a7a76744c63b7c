#include "sinks/duckdb/consolidated_duckdb_sink.hpp"

#include <chrono>
#include <algorithm>
#include <set>
#include <span>

#include "sinks/duckdb/dataset_scan.hpp"
#include "sinks/duckdb/dataset_select.hpp"
#include "sinks/duckdb/duckdb_session.hpp"
#include "sinks/duckdb/parquet_views.hpp"
#include "sinks/sql/consolidated_schema.hpp"
#include "utils/durable_file.hpp"
#include "utils/error.hpp"

namespace soi {
namespace fs = std::filesystem;

namespace {

// DuckDB checkpoints (folds the write-ahead log into the file, compressing
// what it holds) once the log exceeds 16 MB by default: every fifth or sixth
// SPY day, a commit then took ten times as long. A larger threshold spaces the
// checkpoints out (a short run checkpoints once, when the sink closes), but
// DuckDB keeps every row not yet checkpointed in memory: at 1 GB a quarter of
// every feed peaked at 1.7 GiB of RSS, at 64 MB at 0.7 GiB (as at 16 MB).
// Each commit still syncs the log: durability is the same.
constexpr const char* kCheckpointThreshold = "64MB";

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

bool mentions(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

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

// The SQL literals of one column (by position) of every row, comma-separated: the
// values of a one-column key.
class KeyLiterals : public RowWriter {
 public:
  KeyLiterals(std::size_t position, std::string& out) : position_(position), out_(out) {}
  void int64(std::int64_t v) override { take(std::to_string(v)); }
  void float64(double) override { ++column_; }
  void text(std::string_view v) override {
    if (depth_ == 0) take(DuckDbSession::quote(v));
  }
  void timestamp_ms(std::int64_t) override { ++column_; }
  void date(Date) override { ++column_; }
  void null() override { ++column_; }
  void begin_list(std::size_t) override { ++depth_; }
  void end_list() override {
    --depth_;
    ++column_;
  }
  void end_row() override { column_ = 0; }

 private:
  void take(const std::string& literal) {
    if (column_++ != position_) return;
    if (!out_.empty()) out_ += ", ";
    out_ += literal;
  }
  std::size_t position_;
  std::string& out_;
  std::size_t column_ = 0;
  int depth_ = 0;
};

}  // namespace

fs::path ConsolidatedDuckDbSink::default_path(const std::string& data_dir) {
  return fs::path(data_dir) / "processed" / "consolidated" / "market.duckdb";
}

ConsolidatedDuckDbSink::ConsolidatedDuckDbSink(const std::string& data_dir, const DuckDbSinkConfig& config,
                                               std::vector<std::string> news_tickers, int duckdb_threads,
                                               std::vector<sql::Table> tables)
    : path_(config.path.empty() ? default_path(data_dir) : fs::path(config.path)),
      news_tickers_(std::move(news_tickers)),
      tables_(std::move(tables)),
      threads_(duckdb_threads),
      memory_limit_mb_(config.memory_limit_mb) {
  if (config.layout != "views" && config.layout != "tables")
    throw SoiError(ErrorCategory::config, "sinks.duckdb.layout must be views or tables, not '" + config.layout + "'");
  views_layout_ = config.layout == "views";
  parquet_views_ = std::make_unique<ParquetViews>(data_dir, tables_, news_tickers_);
  if (path_.has_parent_path()) create_directories_or_throw(path_.parent_path());
  open_database();
}

ConsolidatedDuckDbSink::~ConsolidatedDuckDbSink() = default;

void ConsolidatedDuckDbSink::open_database() {
  std::unique_ptr<DuckDbSession> session;
  try {
    session = std::make_unique<DuckDbSession>(path_.string(), threads_, false, memory_limit_mb_);
  } catch (const SoiError& e) {
    if (mentions(e.message(), "Could not set lock") || mentions(e.message(), "Conflicting lock"))
      throw SoiError(ErrorCategory::storage,
                     "DuckDB database " + path_.string() +
                         " is locked by another process: DuckDB allows one read-write process per file; stop "
                         "that process (or point sinks.duckdb.path elsewhere) and rerun (" +
                         e.message() + ")");
    throw SoiError(ErrorCategory::storage, "cannot open DuckDB database " + path_.string() + ": " + e.message());
  }
  std::unique_ptr<DatasetScan> scan;
  try {
    session->execute(std::string("SET checkpoint_threshold = '").append(kCheckpointThreshold).append("'"));
    DuckRunner runner(*session);
    in_transaction(*session, [&] {
      if (views_layout_) {
        // The bookkeeping tables, the feeds' views, then market_seconds over them.
        for (const std::string& sql : sql::create_tables_sql(sql::Dialect::duckdb, {}))
          runner.execute(sql);
        parquet_views_->create(runner);
        sql::ensure_schema(runner, sql::Dialect::duckdb, {}, news_tickers_);
      } else {
        const std::vector<std::string> were_views = parquet_views_->set_aside_views(runner);
        sql::ensure_schema(runner, sql::Dialect::duckdb, tables_, news_tickers_);
        parquet_views_->copy_set_aside_views(runner, were_views);
      }
    });
    sessions_written_.clear();
    scan = std::make_unique<DatasetScan>(*session);
  } catch (const SoiError& e) {
    throw SoiError(ErrorCategory::storage,
                   "cannot create or migrate the schema of DuckDB database " + path_.string() + ": " + e.message());
  }
  session_ = std::move(session);
  scan_ = std::move(scan);
}

void ConsolidatedDuckDbSink::discard_database() noexcept {
  if (!session_) return;
  try {
    // What a failed commit leaves in memory is not what the file holds: never
    // write it back. Reopening replays the write-ahead log, i.e. exactly the
    // committed transactions.
    session_->execute("PRAGMA disable_checkpoint_on_shutdown");
  } catch (...) {  // closing is all that is left to do
  }
  scan_.reset();
  session_.reset();
}

PartitionWriteResult ConsolidatedDuckDbSink::write(const Partition& partition, const RunInfo& run) {
  const auto started = std::chrono::steady_clock::now();
  const std::string day = format_date(partition.date);
  const std::string table(partition.table);
  const ErrorContext context{std::string(partition.name), "", day, ""};
  if (!partition.dataset || table.empty())
    throw SoiError(ErrorCategory::storage, "duckdb sink: partition " + std::string(partition.name) + " of " + day +
                                               " names no dataset or table", context);
  std::uint64_t rows = 0;
  std::lock_guard lock(mutex_);
  try {
    // A failed write closed the database: reopen it (what the file holds is
    // the last committed state).
    if (!session_) open_database();
  } catch (const SoiError& e) {
    throw SoiError(ErrorCategory::storage, "cannot replace " + day + " in table " + table + ": " + e.message(),
                   context);
  }
  try {
    rows = views_layout_ ? show_day_in_view(partition) : replace_day_in_table(partition, run);
  } catch (const std::exception& e) {
    discard_database();
    const auto* soi = dynamic_cast<const SoiError*>(&e);
    throw SoiError(ErrorCategory::storage,
                   "cannot replace " + day + " in table " + table + " of DuckDB database " + path_.string() + ": " +
                       (soi ? soi->message() : e.what()),
                   context);
  }
  PartitionWriteResult result;
  result.sink = std::string(name());
  result.feed = std::string(partition.name);
  result.date = day;
  result.location = path_.string() + "#" + table;
  result.rows = rows;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

// The tables layout: the day deleted and inserted in one transaction.
std::uint64_t ConsolidatedDuckDbSink::replace_day_in_table(const Partition& partition, const RunInfo& run) {
  const Dataset& dataset = *partition.dataset;
  const std::vector<Column> columns = dataset.columns(partition);
  const std::string day = format_date(partition.date);
  const std::string table(partition.table);
  std::uint64_t rows = 0;
  // A column added to the configuration since the table was created (a news
  // ticker's sentiment): the migration commits on its own, before the day.
  if (columns.size() != dataset.base_columns().size()) {
    DuckRunner runner(*session_);
    in_transaction(*session_, [&] { sql::ensure_columns(runner, sql::Dialect::duckdb, table, columns); });
  }
  const WriteStamp stamp{run.run_id, now_utc_ms()};
  const std::vector<std::string> names = dataset_select_columns(partition, SelectTarget::sql_table);
  std::string insert = "INSERT INTO " + sql::quote_ident(table) + " (";
  for (std::size_t i = 0; i < names.size(); ++i) insert += (i ? ", " : "") + sql::quote_ident(names[i]);
  insert += ") " + dataset_select(partition, stamp, DatasetScan::kFunctionName, SelectTarget::sql_table);
  in_transaction(*session_, [&] {
    session_->execute(sql::delete_day_sql(table, day));
    if (dataset.key_spans_days()) delete_keys_elsewhere(partition, table);
    scan_->set(partition, stamp);
    rows = static_cast<std::uint64_t>(session_->query_int(insert));
    scan_->clear();
    if (rows != dataset.row_count(partition))
      throw SoiError(ErrorCategory::storage, "inserted " + std::to_string(rows) + " rows, expected " +
                                                 std::to_string(dataset.row_count(partition)));
    if (partition.session_open_ms != 0 && partition.session_close_ms != 0)
      session_->execute(sql::replace_session_sql(day, partition.session_open_ms, partition.session_close_ms));
  });
  return rows;
}

// The views layout: the Parquet sink committed the day; the view shows it
// once it has the day's columns. The file's row count is checked, so that a
// write reports what readers will see.
std::uint64_t ConsolidatedDuckDbSink::show_day_in_view(const Partition& partition) {
  DuckRunner runner(*session_);
  if (parquet_views_->stale_for(partition)) in_transaction(*session_, [&] { parquet_views_->refresh(runner, partition); });
  const std::uint64_t rows = parquet_views_->rows_in_day_file(runner, partition);
  const std::uint64_t expected = partition.dataset->row_count(partition);
  if (rows != expected)
    throw SoiError(ErrorCategory::storage, "the committed Parquet file of the day holds " + std::to_string(rows) +
                                               " rows, the partition " + std::to_string(expected));
  if (partition.session_open_ms != 0 && partition.session_close_ms != 0) {
    const std::string day = format_date(partition.date);
    const std::pair bounds{partition.session_open_ms, partition.session_close_ms};
    const auto known = sessions_written_.find(day);
    if (known == sessions_written_.end() || known->second != bounds) {
      in_transaction(*session_, [&] {
        session_->execute(sql::replace_session_sql(day, partition.session_open_ms, partition.session_close_ms));
      });
      sessions_written_[day] = bounds;
    }
  }
  return rows;
}

// The key is unique across days (news ids): a row of the partition's keys stored
// under another day (its publication time was corrected) moves to this day, as
// PostgreSQL's upsert does.
void ConsolidatedDuckDbSink::delete_keys_elsewhere(const Partition& partition, const std::string& table) {
  const std::vector<std::string> key = partition.dataset->key();
  if (key.size() != 1) throw SoiError(ErrorCategory::schema, "a key spanning days must be one column: " + table);
  const std::vector<std::string> names = partition.dataset->column_names(partition);
  const auto at = std::find(names.begin(), names.end(), key.front());
  if (at == names.end()) throw SoiError(ErrorCategory::schema, "key column " + key.front() + " missing in " + table);
  std::string values;
  KeyLiterals collector(static_cast<std::size_t>(at - names.begin()), values);
  const auto cursor = partition.dataset->rows(partition, WriteStamp{});
  while (cursor->write_next(collector)) {
  }
  if (!values.empty())
    session_->execute("DELETE FROM " + sql::quote_ident(table) + " WHERE " + sql::quote_ident(key.front()) + " IN (" +
                      values + ")");
}

}  // namespace soi
