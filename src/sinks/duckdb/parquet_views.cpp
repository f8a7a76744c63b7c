#include "sinks/duckdb/parquet_views.hpp"

#include <algorithm>
#include <utility>

#include "sinks/store/partition_store.hpp"
#include "utils/error.hpp"
#include "utils/time_util.hpp"

namespace soi {
namespace fs = std::filesystem;

namespace {

using sql::quote_ident;
using sql::quote_literal;

// Whether the dataset grows columns with the configuration (news sentiment):
// then files of different days can differ in their columns.
bool has_dynamic_columns(const Dataset& dataset) {
  static const std::vector<std::string> one_ticker{"SPY"};
  Partition probe;
  probe.sentiment_tickers = one_ticker;
  return dataset.columns(probe).size() != dataset.base_columns().size();
}

const FileColumn* find_column(const std::vector<FileColumn>& files, std::string_view name) {
  for (const FileColumn& f : files)
    if (f.name == name) return &f;
  return nullptr;
}

// The view's expression for a dataset column the files hold as `file_type`.
std::string column_expression(const Column& c, const std::string& file_type) {
  const std::string name = quote_ident(c.name);
  const std::string type = sql::type_name(sql::Dialect::duckdb, c.type);
  if (c.type == LogicalType::timestamp_ms) {
    // A naive TIMESTAMP holds UTC: a plain cast would read it in the session's TimeZone.
    if (file_type == "TIMESTAMP") return "make_timestamptz(epoch_us(" + name + "))";
    if (file_type == "TIMESTAMP WITH TIME ZONE") return name;
    return "CAST(" + name + " AS TIMESTAMPTZ)";
  }
  if (c.type == LogicalType::struct_list) {
    if (file_type.rfind("STRUCT", 0) == 0) return "to_json(" + name + ")";
    return "CAST(" + name + " AS JSON)";
  }
  if (file_type == type) return name;
  return "CAST(" + name + " AS " + type + ")";
}

std::string null_of(const Column& c) {
  return "CAST(NULL AS " + sql::type_name(sql::Dialect::duckdb, c.type) + ")";
}

std::string view_select(const sql::Table& table, const std::vector<Column>& columns,
                        const std::vector<FileColumn>& files, const std::string& glob) {
  std::string select = "SELECT ";
  bool first = true;
  const auto add = [&](const std::string& expression, const std::string& name) {
    select += (first ? "" : ", ") + expression + " AS " + quote_ident(name);
    first = false;
  };
  if (files.empty()) {
    for (const Column& c : columns) add(null_of(c), c.name);
    return select + " WHERE false";
  }
  for (const Column& c : columns) {
    if (c.role == kRoleDate) {
      add(quote_ident(c.name), c.name);
      continue;
    }
    const FileColumn* f = find_column(files, c.name);
    add(f ? column_expression(c, f->type) : null_of(c), c.name);
  }
  for (const FileColumn& f : files) {
    const bool listed = std::any_of(columns.begin(), columns.end(), [&](const Column& c) { return c.name == f.name; });
    if (!listed) add(quote_ident(f.name), f.name);
  }
  select += " FROM " + read_table_files_sql(table, glob);
  if (table.dataset->key_spans_days()) {
    // The row written last wins, wherever its day is: what the table's
    // delete-elsewhere kept.
    const std::vector<std::string> key = table.dataset->key();
    std::string partition_by;
    for (const std::string& k : key) partition_by += (partition_by.empty() ? "" : ", ") + quote_ident(k);
    const bool stamped = find_column(files, "ingested_at") != nullptr;
    select += " QUALIFY row_number() OVER (PARTITION BY " + partition_by + " ORDER BY " +
              (stamped ? std::string("\"ingested_at\" DESC NULLS LAST, ") : std::string()) + "\"date\" DESC) = 1";
  }
  return select;
}

std::string scalar(sql::SqlRunner& runner, const std::string& query) {
  const auto rows = runner.query(query);
  if (rows.empty() || rows[0].empty() || !rows[0][0]) return {};
  return *rows[0][0];
}

std::uint64_t count_of(sql::SqlRunner& runner, const std::string& query) {
  const std::string text = scalar(runner, query);
  return text.empty() ? 0 : std::stoull(text);
}

// "BASE TABLE", "VIEW" or "" (neither).
std::string relation_kind(sql::SqlRunner& runner, const std::string& name) {
  return scalar(runner,
                "SELECT table_type FROM information_schema.tables WHERE table_schema = current_schema() AND "
                "table_name = " + quote_literal(name));
}

// A view renamed out of the way while its table is created.
constexpr const char* kSetAsideSuffix = "__before_tables";

void record_migration(sql::SqlRunner& runner, const std::string& description) {
  runner.execute(
      "INSERT INTO schema_version (version, description, applied_at) SELECT COALESCE(max(version), 0) + 1, " +
      quote_literal(description) + ", CAST(" + quote_literal(format_utc_iso_ms(now_utc_ms())) +
      " AS TIMESTAMPTZ) FROM schema_version");
}

}  // namespace

std::string parquet_day_glob(const fs::path& data_dir, std::string_view directory) {
  return (fs::absolute(data_dir) / std::string(kPartitionPrefix) / std::string(directory) / "date=*" /
          std::string(kPartitionFileName))
      .lexically_normal()
      .string();
}

std::string read_table_files_sql(const sql::Table& table, const std::string& glob) {
  return "read_parquet(" + quote_literal(glob) + ", hive_partitioning = true, hive_types = {'date': DATE}" +
         (has_dynamic_columns(*table.dataset) ? ", union_by_name = true" : "") + ")";
}

std::string create_parquet_view_sql(const sql::Table& table, const std::vector<Column>& columns,
                                    const std::vector<FileColumn>& files, const std::string& glob) {
  return "CREATE OR REPLACE VIEW " + quote_ident(table.name) + " AS " + view_select(table, columns, files, glob);
}

ParquetViews::ParquetViews(fs::path data_dir, std::vector<sql::Table> tables, std::vector<std::string> news_tickers)
    : data_dir_(std::move(data_dir)), tables_(std::move(tables)), news_tickers_(std::move(news_tickers)) {}

void ParquetViews::create(sql::SqlRunner& runner) {
  for (const sql::Table& table : tables_)
    if (table.directory.empty() || !table.dataset)
      throw SoiError(ErrorCategory::config, "table " + table.name + " has no Parquet directory to make a view of");
  for (const sql::Table& table : tables_) {
    if (relation_kind(runner, table.name) == "BASE TABLE") {
      // Make the view under a scratch name first, to count what the files hold.
      const std::string scratch = table.name + "__from_parquet";
      runner.execute("DROP VIEW IF EXISTS " + quote_ident(scratch));
      sql::Table named = table;
      named.name = scratch;
      create_view(runner, named);
      // Day by day: a day whose file holds fewer rows than the table would
      // lose rows, whatever the files hold on other days.
      const auto short_days = runner.query(
          "SELECT CAST(t.date AS VARCHAR), t.n, COALESCE(f.n, 0) FROM (SELECT date, count(*) AS n FROM " +
          quote_ident(table.name) + " GROUP BY date) AS t LEFT JOIN (SELECT date, count(*) AS n FROM " +
          quote_ident(scratch) + " GROUP BY date) AS f ON f.date = t.date WHERE COALESCE(f.n, 0) < t.n ORDER BY t.date");
      runner.execute("DROP VIEW " + quote_ident(scratch));
      views_.erase(scratch);
      if (!short_days.empty()) {
        std::string days;
        for (std::size_t i = 0; i < short_days.size() && i < 5; ++i) {
          const auto& row = short_days[i];
          if (row.size() < 3 || !row[0] || !row[1] || !row[2]) continue;
          days += (days.empty() ? "" : ", ") + *row[0] + " (" + *row[1] + " rows in the table, " + *row[2] + " in its file)";
        }
        if (short_days.size() > 5) days += " and " + std::to_string(short_days.size() - 5) + " more";
        throw SoiError(ErrorCategory::storage,
                       "table " + table.name + " holds rows its Parquet files (" +
                           parquet_day_glob(data_dir_, table.directory) + ") lack, on " +
                           std::to_string(short_days.size()) + " day(s): " + days +
                           ". Replacing it by a view would lose them: backfill those days with sinks.duckdb.layout: "
                           "tables (which rewrites their files), then switch to views; or keep the tables");
      }
      runner.execute("DROP TABLE " + quote_ident(table.name));
      record_migration(runner, "replace table " + table.name + " by a view over its Parquet files");
    }
    create_view(runner, table);
  }
}

void ParquetViews::create_view(sql::SqlRunner& runner, const sql::Table& table) {
  const std::string glob = parquet_day_glob(data_dir_, table.directory);
  std::vector<FileColumn> files;
  if (count_of(runner, "SELECT count(*) FROM glob(" + quote_literal(glob) + ")") > 0)
    for (const auto& row : runner.query("DESCRIBE SELECT * FROM " + read_table_files_sql(table, glob)))
      if (row.size() >= 2 && row[0] && row[1]) files.push_back({*row[0], *row[1]});
  Partition configured;
  configured.sentiment_tickers = news_tickers_;
  // The base columns, then the dynamic ones: the order of a table that had
  // them added (SELECT * reads the same in both layouts).
  std::vector<Column> columns = table.dataset->base_columns();
  for (Column& c : table.dataset->columns(configured))
    if (std::none_of(columns.begin(), columns.end(), [&](const Column& b) { return b.name == c.name; }))
      columns.push_back(std::move(c));
  runner.execute(create_parquet_view_sql(table, columns, files, glob));
  // What the files provide, not what the view lists: a configured column no
  // file had yet is a NULL placeholder until a day brings it.
  ViewState state;
  state.empty = files.empty();
  for (const FileColumn& f : files) state.columns.insert(f.name);
  views_[table.name] = std::move(state);
}

const sql::Table& ParquetViews::table_of(const Partition& partition) const {
  for (const sql::Table& t : tables_)
    if (t.name == partition.table) return t;
  throw SoiError(ErrorCategory::storage, "no consolidated table named '" + std::string(partition.table) + "'");
}

bool ParquetViews::stale_for(const Partition& partition) const {
  const auto at = views_.find(std::string(partition.table));
  if (at == views_.end() || at->second.empty) return true;
  for (const Column& c : partition.dataset->columns(partition))
    if (!at->second.columns.count(c.name)) return true;
  return false;
}

void ParquetViews::refresh(sql::SqlRunner& runner, const Partition& partition) {
  create_view(runner, table_of(partition));
}

std::uint64_t ParquetViews::rows_in_day_file(sql::SqlRunner& runner, const Partition& partition) const {
  const fs::path file = fs::absolute(data_dir_) / partition_key(table_of(partition).directory, partition.date);
  return count_of(runner, "SELECT count(*) FROM read_parquet(" + quote_literal(file.lexically_normal().string()) + ")");
}

std::vector<std::string> ParquetViews::set_aside_views(sql::SqlRunner& runner) const {
  std::vector<std::string> set_aside;
  for (const sql::Table& table : tables_) {
    if (relation_kind(runner, table.name) != "VIEW") continue;
    runner.execute("DROP VIEW IF EXISTS " + quote_ident(table.name + kSetAsideSuffix));
    runner.execute("ALTER VIEW " + quote_ident(table.name) + " RENAME TO " + quote_ident(table.name + kSetAsideSuffix));
    set_aside.push_back(table.name);
  }
  return set_aside;
}

void ParquetViews::copy_set_aside_views(sql::SqlRunner& runner, const std::vector<std::string>& names) const {
  for (const std::string& name : names) {
    const sql::Table* table = nullptr;
    for (const sql::Table& t : tables_)
      if (t.name == name) table = &t;
    if (!table || table->directory.empty()) continue;
    const std::string view = name + kSetAsideSuffix;
    const std::string glob = parquet_day_glob(data_dir_, table->directory);
    // No file left (a bucket became the primary store): the table starts
    // empty rather than the view failing every open.
    if (count_of(runner, "SELECT count(*) FROM glob(" + quote_literal(glob) + ")") > 0) {
      const auto columns_of = [&](const std::string& relation) {
        return runner.query(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() AND "
            "schema_name = current_schema() AND table_name = " + quote_literal(relation) + " ORDER BY column_index");
      };
      std::set<std::string> in_table;
      for (const auto& row : columns_of(name))
        if (!row.empty() && row[0]) in_table.insert(*row[0]);
      std::vector<Column> text_columns_to_add;  // sentiment columns of tickers no longer configured
      std::string list;
      for (const auto& row : columns_of(view)) {
        if (row.size() < 2 || !row[0] || !row[1]) continue;
        if (!in_table.count(*row[0])) {
          if (*row[1] != "VARCHAR") continue;
          text_columns_to_add.push_back(Column{*row[0], LogicalType::text, true});
        }
        list += (list.empty() ? "" : ", ") + quote_ident(*row[0]);
      }
      sql::ensure_columns(runner, sql::Dialect::duckdb, name, text_columns_to_add);
      runner.execute("INSERT INTO " + quote_ident(name) + " (" + list + ") SELECT " + list + " FROM " +
                     quote_ident(view));
    }
    runner.execute("DROP VIEW " + quote_ident(view));
    record_migration(runner, "copy the view " + name + " over Parquet files into a table");
  }
}

}  // namespace soi
