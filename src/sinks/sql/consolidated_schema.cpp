#include "sinks/sql/consolidated_schema.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "utils/error.hpp"
#include "utils/json_text.hpp"
#include "utils/time_util.hpp"

namespace soi::sql {
namespace {

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += separator;
    out += items[i];
  }
  return out;
}

std::string column_defs(Dialect d, const std::vector<Column>& columns) {
  std::vector<std::string> defs;
  for (const Column& c : columns)
    defs.push_back(quote_ident(c.name) + " " + type_name(d, c.type) + (c.nullable ? "" : " NOT NULL"));
  return join(defs, ", ");
}

// PostgreSQL keys every table (its upserts need the key). DuckDB keys none: a
// primary key there is an ART index that every delete and insert of a day
// maintains and every checkpoint writes, for keys that are unique upstream.
std::string create_table(Dialect d, std::string_view table, const std::vector<Column>& columns,
                         const std::vector<std::string>& key) {
  std::string sql = "CREATE TABLE IF NOT EXISTS " + quote_ident(table) + " (" + column_defs(d, columns);
  if (d == Dialect::postgres) {
    std::vector<std::string> pk;
    for (const std::string& k : key) pk.push_back(quote_ident(k));
    sql += ", PRIMARY KEY (" + join(pk, ", ") + ")";
  }
  return sql + ")";
}

std::vector<Column> sessions_columns() {
  return {{"date", LogicalType::date}, {"open_ts", LogicalType::timestamp_ms}, {"close_ts", LogicalType::timestamp_ms}};
}

std::vector<Column> schema_version_columns() {
  return {{"version", LogicalType::int32}, {"description", LogicalType::text}, {"applied_at", LogicalType::timestamp_ms}};
}

std::string now_literal() { return "CAST(" + quote_literal(format_utc_iso_ms(now_utc_ms())) + " AS TIMESTAMPTZ)"; }

}  // namespace

std::vector<Table> tables_of(const FeedRegistry& feeds) {
  std::vector<Table> out;
  for (const FeedSpec& f : feeds.feeds()) {
    out.push_back({f.sql_table, &dataset_for(f.dataset), f.name});
    if (f.companion) out.push_back({f.companion->sql_table, &dataset_for(f.companion->dataset), f.companion->name});
  }
  return out;
}

std::vector<Table> default_tables() { return tables_of(default_feeds()); }

std::string type_name(Dialect d, LogicalType t) {
  const bool pg = d == Dialect::postgres;
  switch (t) {
    case LogicalType::date: return "DATE";
    case LogicalType::text: return pg ? "TEXT" : "VARCHAR";
    case LogicalType::timestamp_ms: return "TIMESTAMPTZ";
    case LogicalType::float64: return pg ? "DOUBLE PRECISION" : "DOUBLE";
    case LogicalType::int64: return "BIGINT";
    case LogicalType::int32: return "INTEGER";
    case LogicalType::text_list: return pg ? "TEXT[]" : "VARCHAR[]";
    // A list of structs is one JSON document per row: both engines query into it.
    case LogicalType::struct_list: return pg ? "JSONB" : "JSON";
  }
  return "TEXT";
}

std::string quote_ident(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string quote_literal(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::vector<std::string> create_tables_sql(Dialect d, std::span<const Table> tables) {
  std::vector<std::string> out = {
      create_table(d, "schema_version", schema_version_columns(), {"version"}),
      create_table(d, "sessions", sessions_columns(), {"date"}),
  };
  for (const Table& t : tables) out.push_back(create_table(d, t.name, t.dataset->base_columns(), t.dataset->key()));
  if (d == Dialect::postgres) {
    // The day replacement deletes by date; the view looks rows up by (date, time).
    // DuckDB needs neither (zone maps on insertion-ordered data; hash joins).
    for (const Table& t : tables) {
      const std::vector<std::string> key = t.dataset->key();
      if (!key.empty() && key.front() == "date") continue;
      for (const Column& c : t.dataset->base_columns())
        if (c.type == LogicalType::timestamp_ms && c.role == kRoleRow) {
          // Named <table>_date_<column up to its first '_'>: spy_bars_date_ts, news_date_published.
          const std::string index = t.name + "_date_" + c.name.substr(0, c.name.find('_'));
          out.push_back("CREATE INDEX IF NOT EXISTS " + quote_ident(index) + " ON " + quote_ident(t.name) + " (date, " +
                        quote_ident(c.name) + ")");
          break;
        }
    }
  }
  return out;
}

std::vector<std::string> view_columns() {
  return {"date",          "ts",           "spy_open",    "spy_high",   "spy_low",
          "spy_close",     "spy_volume",   "spy_vwap",    "spy_transactions",
          "vix",           "calls_traded", "call_volume", "puts_traded", "put_volume",
          "news_count",    "news_sentiment"};
}

std::vector<std::string> create_view_sql(Dialect d, std::string_view sentiment_column) {
  const bool pg = d == Dialect::postgres;
  const std::string dbl = type_name(d, LogicalType::float64);
  const std::string sentiment =
      sentiment_column.empty()
          ? "CAST(NULL AS " + dbl + ")"
          : "CAST(avg(CASE " + quote_ident(sentiment_column) +
                " WHEN 'positive' THEN 1 WHEN 'neutral' THEN 0 WHEN 'negative' THEN -1 END) AS " + dbl + ")";
  // VIX: the close of the last vix bar at or before the second, same date.
  // PostgreSQL: an index lookup per second. DuckDB: the value at that second
  // carried forward by a window (its ASOF join degrades to a nested loop over
  // the generate_series side here: 8 s instead of 0.1 s for two days).
  const std::string vix_join =
      pg ? " LEFT JOIN LATERAL (SELECT v.close FROM vix_bars v WHERE v.date = secs.date AND v.ts <= secs.ts"
           " ORDER BY v.ts DESC LIMIT 1) AS vx ON true"
         : " LEFT JOIN vix_bars AS vx ON vx.date = secs.date AND vx.ts = secs.ts"
           " LEFT JOIN vix_pre_open AS vpre ON vpre.date = secs.date";
  // (A value stamped before the open, e.g. from a stream, seeds the first seconds.)
  const std::string vix_value =
      pg ? "vx.close"
         : "COALESCE(last_value(vx.close IGNORE NULLS) OVER (PARTITION BY secs.date ORDER BY secs.ts), vpre.close)";
  const std::string vix_cte =
      pg ? ""
         : "vix_pre_open AS (SELECT v.date, arg_max(v.close, v.ts) AS close FROM vix_bars AS v "
           "JOIN sessions AS s ON s.date = v.date WHERE v.ts < s.open_ts GROUP BY v.date), ";
  std::string view =
      "CREATE OR REPLACE VIEW " + std::string(kViewName) +
      " AS WITH secs AS ("
      "SELECT s.date, g.ts FROM sessions AS s CROSS JOIN LATERAL generate_series(s.open_ts, "
      "s.close_ts - INTERVAL '1 second', INTERVAL '1 second') AS g(ts)), "
      "opt AS (SELECT date, ts, "
      "count(*) FILTER (WHERE contract_type = 'call') AS calls_traded, "
      "sum(volume) FILTER (WHERE contract_type = 'call') AS call_volume, "
      "count(*) FILTER (WHERE contract_type = 'put') AS puts_traded, "
      "sum(volume) FILTER (WHERE contract_type = 'put') AS put_volume "
      "FROM option_bars GROUP BY date, ts), " +
      vix_cte +
      "news_minutes AS (SELECT date, date_trunc('minute', published_utc) AS minute, count(*) AS news_count, " +
      sentiment +
      " AS news_sentiment FROM news GROUP BY date, date_trunc('minute', published_utc)) "
      "SELECT secs.date, secs.ts, b.open AS spy_open, b.high AS spy_high, b.low AS spy_low, "
      "b.close AS spy_close, b.volume AS spy_volume, b.vwap AS spy_vwap, b.transactions AS spy_transactions, " +
      vix_value + " AS vix, "
      "COALESCE(o.calls_traded, 0) AS calls_traded, CAST(COALESCE(o.call_volume, 0) AS " +
      dbl +
      ") AS call_volume, "
      "COALESCE(o.puts_traded, 0) AS puts_traded, CAST(COALESCE(o.put_volume, 0) AS " +
      dbl +
      ") AS put_volume, "
      "COALESCE(n.news_count, 0) AS news_count, n.news_sentiment "
      "FROM secs" +
      vix_join +
      " LEFT JOIN spy_bars AS b ON b.date = secs.date AND b.ts = secs.ts"
      " LEFT JOIN opt AS o ON o.date = secs.date AND o.ts = secs.ts"
      " LEFT JOIN news_minutes AS n ON n.date = secs.date AND n.minute = date_trunc('minute', secs.ts)";
  return {view};
}

std::string upsert_sql(std::string_view table, const std::vector<std::string>& columns,
                       const std::vector<std::string>& pk, std::string_view source) {
  std::vector<std::string> quoted;
  for (const std::string& c : columns) quoted.push_back(quote_ident(c));
  std::vector<std::string> pk_quoted;
  std::vector<std::string> updates;
  for (const std::string& k : pk) pk_quoted.push_back(quote_ident(k));
  for (const std::string& c : columns)
    if (std::find(pk.begin(), pk.end(), c) == pk.end())
      updates.push_back(quote_ident(c) + " = EXCLUDED." + quote_ident(c));
  const std::string list = join(quoted, ", ");
  return "INSERT INTO " + quote_ident(table) + " (" + list + ") SELECT " + list + " FROM " + std::string(source) +
         " ON CONFLICT (" + join(pk_quoted, ", ") + ") " +
         (updates.empty() ? std::string("DO NOTHING") : "DO UPDATE SET " + join(updates, ", "));
}

std::string struct_list_json(const Column& column, std::span<const std::string> elements) {
  const std::vector<std::string>& fields = column.struct_fields;
  if (fields.empty() || elements.size() % fields.size() != 0)
    throw SoiError(ErrorCategory::schema, "column " + column.name + ": " + std::to_string(elements.size()) +
                                              " values do not make whole structs of " + std::to_string(fields.size()) +
                                              " fields");
  std::string out = "[";
  for (std::size_t i = 0; i < elements.size(); i += fields.size()) {
    if (i) out += ',';
    for (std::size_t f = 0; f < fields.size(); ++f) {
      out += f ? ',' : '{';
      append_json_quoted(out, fields[f]);
      out += ':';
      append_json_quoted(out, elements[i + f]);
    }
    out += '}';
  }
  return out + "]";
}

std::string upsert_session_sql(std::string_view date, std::int64_t open_ms, std::int64_t close_ms) {
  return "INSERT INTO sessions (date, open_ts, close_ts) VALUES (DATE " + quote_literal(date) + ", CAST(" +
         quote_literal(format_utc_iso_ms(open_ms)) + " AS TIMESTAMPTZ), CAST(" +
         quote_literal(format_utc_iso_ms(close_ms)) +
         " AS TIMESTAMPTZ)) ON CONFLICT (date) DO UPDATE SET open_ts = EXCLUDED.open_ts, close_ts = EXCLUDED.close_ts";
}

std::string replace_session_sql(std::string_view date, std::int64_t open_ms, std::int64_t close_ms) {
  return "DELETE FROM sessions WHERE date = DATE " + quote_literal(date) +
         "; INSERT INTO sessions (date, open_ts, close_ts) VALUES (DATE " + quote_literal(date) + ", CAST(" +
         quote_literal(format_utc_iso_ms(open_ms)) + " AS TIMESTAMPTZ), CAST(" +
         quote_literal(format_utc_iso_ms(close_ms)) + " AS TIMESTAMPTZ))";
}

std::string delete_day_sql(std::string_view table, std::string_view date) {
  return "DELETE FROM " + quote_ident(table) + " WHERE date = DATE " + quote_literal(date);
}

std::vector<std::string> ensure_columns(SqlRunner& runner, Dialect d, std::string_view table,
                                        const std::vector<Column>& columns) {
  std::set<std::string> existing;
  for (const auto& row : runner.query(
           "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
           "AND table_name = " + quote_literal(table)))
    if (!row.empty() && row[0]) existing.insert(*row[0]);
  std::vector<std::string> added;
  for (const Column& c : columns) {
    if (existing.count(c.name)) continue;
    if (!c.nullable)
      throw SoiError(ErrorCategory::schema, "table " + std::string(table) + " lacks column " + c.name +
                                                ", which cannot be added to existing rows (NOT NULL)");
    runner.execute("ALTER TABLE " + quote_ident(table) + " ADD COLUMN " + quote_ident(c.name) + " " +
                   type_name(d, c.type));
    existing.insert(c.name);
    added.push_back(c.name);
    runner.execute(
        "INSERT INTO schema_version (version, description, applied_at) SELECT COALESCE(max(version), 0) + 1, " +
        quote_literal("add " + std::string(table) + "." + c.name) + ", " + now_literal() + " FROM schema_version");
  }
  return added;
}

namespace {

// A DuckDB database made before its tables lost their primary keys: each keyed
// table is rebuilt without its key (DuckDB cannot drop a constraint), same
// columns in the same physical order, same types and NOT NULLs, same rows. In
// the caller's transaction: all tables or none. Recorded as a schema_version.
void drop_duckdb_primary_keys(SqlRunner& runner) {
  const auto keyed = runner.query(
      "SELECT DISTINCT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
      "AND database_name = current_database() AND schema_name = current_schema() ORDER BY table_name");
  if (keyed.empty()) return;
  // The view is recreated on the rebuilt tables by ensure_schema.
  runner.execute("DROP VIEW IF EXISTS " + std::string(kViewName));
  for (const auto& row : keyed) {
    if (row.empty() || !row[0]) continue;
    const std::string& table = *row[0];
    std::vector<std::string> defs, names;
    for (const auto& c : runner.query(
             "SELECT column_name, data_type, is_nullable FROM duckdb_columns() WHERE database_name = "
             "current_database() AND schema_name = current_schema() AND table_name = " + quote_literal(table) +
             " ORDER BY column_index")) {
      if (c.size() < 3 || !c[0] || !c[1]) throw SoiError(ErrorCategory::schema, "cannot read the columns of " + table);
      names.push_back(quote_ident(*c[0]));
      defs.push_back(names.back() + " " + *c[1] + (c[2] && *c[2] == "false" ? " NOT NULL" : ""));
    }
    const std::string rebuilt = table + "__unkeyed";
    const std::string list = join(names, ", ");
    runner.execute("CREATE TABLE " + quote_ident(rebuilt) + " (" + join(defs, ", ") + ")");
    runner.execute("INSERT INTO " + quote_ident(rebuilt) + " (" + list + ") SELECT " + list + " FROM " +
                   quote_ident(table));
    runner.execute("DROP TABLE " + quote_ident(table));
    runner.execute("ALTER TABLE " + quote_ident(rebuilt) + " RENAME TO " + quote_ident(table));
  }
  runner.execute(
      "INSERT INTO schema_version (version, description, applied_at) SELECT COALESCE(max(version), 0) + 1, "
      "'drop primary keys (a day is replaced by delete + insert; keys are unique upstream)', " + now_literal() +
      " FROM schema_version");
}

}  // namespace

std::vector<std::string> ensure_schema(SqlRunner& runner, Dialect d, std::span<const Table> tables,
                                       std::span<const std::string> news_tickers) {
  for (const std::string& sql : create_tables_sql(d, tables)) runner.execute(sql);
  if (d == Dialect::duckdb) drop_duckdb_primary_keys(runner);
  const auto base = runner.query("SELECT count(*) FROM schema_version WHERE version = " +
                                 std::to_string(kBaseSchemaVersion));
  if (base.empty() || !base[0][0] || *base[0][0] == "0")
    runner.execute("INSERT INTO schema_version (version, description, applied_at) VALUES (" +
                   std::to_string(kBaseSchemaVersion) + ", 'base tables', " + now_literal() + ")");
  std::vector<std::string> added;
  Partition with_tickers;
  with_tickers.sentiment_tickers = news_tickers;
  for (const Table& t : tables) {
    const std::vector<Column> columns = t.dataset->columns(with_tickers);
    if (columns.size() == t.dataset->base_columns().size()) continue;
    for (std::string& c : ensure_columns(runner, d, t.name, columns)) added.push_back(std::move(c));
  }
  for (const std::string& sql :
       create_view_sql(d, news_tickers.empty() ? std::string() : sentiment_column(news_tickers.front())))
    runner.execute(sql);
  return added;
}

}  // namespace soi::sql
