#include "sinks/sql/consolidated_schema.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "sinks/sink.hpp"
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
    defs.push_back(quote_ident(c.name) + " " + type_name(d, c.type) + (c.not_null ? " NOT NULL" : ""));
  return join(defs, ", ");
}

std::string create_table(Dialect d, std::string_view table, const std::vector<Column>& columns) {
  std::vector<std::string> pk;
  for (const std::string& k : primary_key(table)) pk.push_back(quote_ident(k));
  return "CREATE TABLE IF NOT EXISTS " + quote_ident(table) + " (" + column_defs(d, columns) + ", PRIMARY KEY (" +
         join(pk, ", ") + "))";
}

std::vector<Column> sessions_columns() {
  return {{"date", ColumnType::date, true},
          {"open_ts", ColumnType::timestamptz, true},
          {"close_ts", ColumnType::timestamptz, true}};
}

std::vector<Column> schema_version_columns() {
  return {{"version", ColumnType::int32, true},
          {"description", ColumnType::text, true},
          {"applied_at", ColumnType::timestamptz, true}};
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string type_name(Dialect d, ColumnType t) {
  const bool pg = d == Dialect::postgres;
  switch (t) {
    case ColumnType::date: return "DATE";
    case ColumnType::text: return pg ? "TEXT" : "VARCHAR";
    case ColumnType::timestamptz: return "TIMESTAMPTZ";
    case ColumnType::float64: return pg ? "DOUBLE PRECISION" : "DOUBLE";
    case ColumnType::int64: return "BIGINT";
    case ColumnType::int32: return "INTEGER";
    case ColumnType::text_array: return pg ? "TEXT[]" : "VARCHAR[]";
    case ColumnType::json: return pg ? "JSONB" : "JSON";
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

std::vector<Column> bar_columns(bool options) {
  std::vector<Column> c = {
      {"date", ColumnType::date, true},         {"ticker", ColumnType::text, true},
      {"ts", ColumnType::timestamptz, true},    {"open", ColumnType::float64, true},
      {"high", ColumnType::float64, true},      {"low", ColumnType::float64, true},
      {"close", ColumnType::float64, true},     {"volume", ColumnType::float64, false},
      {"vwap", ColumnType::float64, false},     {"transactions", ColumnType::int64, false},
      {"origin", ColumnType::text, true},       {"run_id", ColumnType::text, true},
      {"ingested_at", ColumnType::timestamptz, true},
  };
  if (options) {
    c.push_back({"underlying", ColumnType::text, false});
    c.push_back({"contract_type", ColumnType::text, false});
    c.push_back({"strike", ColumnType::float64, false});
    c.push_back({"expiration", ColumnType::date, false});
  }
  return c;
}

std::vector<Column> contract_columns() {
  return {
      {"date", ColumnType::date, true},
      {"ticker", ColumnType::text, true},
      {"underlying", ColumnType::text, true},
      {"contract_type", ColumnType::text, true},
      {"strike", ColumnType::float64, true},
      {"expiration", ColumnType::date, true},
      {"exercise_style", ColumnType::text, false},
      {"shares_per_contract", ColumnType::int32, true},
      {"underlying_open", ColumnType::float64, true},
      {"open_source", ColumnType::text, true},
      {"band_pct", ColumnType::float64, true},
      {"strike_low", ColumnType::float64, true},
      {"strike_high", ColumnType::float64, true},
      {"run_id", ColumnType::text, true},
      {"ingested_at", ColumnType::timestamptz, true},
  };
}

std::vector<Column> news_columns() {
  return {
      {"date", ColumnType::date, true},
      {"id", ColumnType::text, true},
      {"published_utc", ColumnType::timestamptz, true},
      {"title", ColumnType::text, true},
      {"description", ColumnType::text, false},
      {"author", ColumnType::text, false},
      {"article_url", ColumnType::text, true},
      {"publisher", ColumnType::text, false},
      {"tickers", ColumnType::text_array, true},
      {"keywords", ColumnType::text_array, true},
      {"insights", ColumnType::json, true},
      {"run_id", ColumnType::text, true},
      {"ingested_at", ColumnType::timestamptz, true},
  };
}

std::vector<std::string> primary_key(std::string_view table) {
  if (table == "spy_bars" || table == "vix_bars" || table == "option_bars") return {"ticker", "ts"};
  if (table == "option_contracts") return {"date", "ticker"};
  if (table == "news") return {"id"};
  if (table == "sessions") return {"date"};
  if (table == "schema_version") return {"version"};
  throw SoiError(ErrorCategory::storage, "unknown consolidated table '" + std::string(table) + "'");
}

std::vector<std::string> create_tables_sql(Dialect d) {
  std::vector<std::string> out = {
      create_table(d, "schema_version", schema_version_columns()),
      create_table(d, "sessions", sessions_columns()),
      create_table(d, "spy_bars", bar_columns(false)),
      create_table(d, "vix_bars", bar_columns(false)),
      create_table(d, "option_bars", bar_columns(true)),
      create_table(d, "option_contracts", contract_columns()),
      create_table(d, "news", news_columns()),
  };
  if (d == Dialect::postgres) {
    // The day replacement deletes by date; the view looks bars up by (date, ts).
    // DuckDB needs neither (zone maps on insertion-ordered data; hash/ASOF joins).
    for (const char* t : {"spy_bars", "vix_bars", "option_bars"})
      out.push_back(std::string("CREATE INDEX IF NOT EXISTS ") + t + "_date_ts ON " + t + " (date, ts)");
    out.push_back("CREATE INDEX IF NOT EXISTS news_date_published ON news (date, published_utc)");
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
  const std::string dbl = type_name(d, ColumnType::float64);
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

std::string upsert_sql(std::string_view table, const std::vector<std::string>& columns, std::string_view source) {
  std::vector<std::string> quoted;
  for (const std::string& c : columns) quoted.push_back(quote_ident(c));
  const std::vector<std::string> pk = primary_key(table);
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

std::string upsert_session_sql(std::string_view date, std::int64_t open_ms, std::int64_t close_ms) {
  return "INSERT INTO sessions (date, open_ts, close_ts) VALUES (DATE " + quote_literal(date) + ", CAST(" +
         quote_literal(format_utc_iso_ms(open_ms)) + " AS TIMESTAMPTZ), CAST(" +
         quote_literal(format_utc_iso_ms(close_ms)) +
         " AS TIMESTAMPTZ)) ON CONFLICT (date) DO UPDATE SET open_ts = EXCLUDED.open_ts, close_ts = EXCLUDED.close_ts";
}

std::string delete_day_sql(std::string_view table, std::string_view date) {
  return "DELETE FROM " + quote_ident(table) + " WHERE date = DATE " + quote_literal(date);
}

std::vector<std::string> ensure_sentiment_columns(SqlRunner& runner, Dialect d,
                                                  std::span<const std::string> news_tickers) {
  std::set<std::string> existing;
  for (const auto& row : runner.query(
           "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
           "AND table_name = 'news'"))
    if (!row.empty() && row[0]) existing.insert(*row[0]);
  std::vector<std::string> added;
  for (const std::string& ticker : news_tickers) {
    const std::string column = sentiment_column(ticker);
    if (existing.count(column)) continue;
    runner.execute("ALTER TABLE news ADD COLUMN " + quote_ident(column) + " " + type_name(d, ColumnType::text));
    existing.insert(column);
    added.push_back(column);
    runner.execute(
        "INSERT INTO schema_version (version, description, applied_at) SELECT COALESCE(max(version), 0) + 1, " +
        quote_literal("add news." + column) + ", CAST(" + quote_literal(format_utc_iso_ms(now_utc_ms())) +
        " AS TIMESTAMPTZ) FROM schema_version");
  }
  return added;
}

std::vector<std::string> ensure_schema(SqlRunner& runner, Dialect d, std::span<const std::string> news_tickers) {
  for (const std::string& sql : create_tables_sql(d)) runner.execute(sql);
  const auto base = runner.query("SELECT count(*) FROM schema_version WHERE version = " +
                                 std::to_string(kBaseSchemaVersion));
  if (base.empty() || !base[0][0] || *base[0][0] == "0")
    runner.execute("INSERT INTO schema_version (version, description, applied_at) VALUES (" +
                   std::to_string(kBaseSchemaVersion) + ", 'base tables', CAST(" +
                   quote_literal(format_utc_iso_ms(now_utc_ms())) + " AS TIMESTAMPTZ))");
  std::vector<std::string> added = ensure_sentiment_columns(runner, d, news_tickers);
  for (const std::string& sql :
       create_view_sql(d, news_tickers.empty() ? std::string() : sentiment_column(news_tickers.front())))
    runner.execute(sql);
  return added;
}

std::string insights_json(const NewsArticle& article) {
  std::string out = "[";
  for (std::size_t i = 0; i < article.insights.size(); ++i) {
    const NewsInsight& in = article.insights[i];
    if (i) out += ',';
    out += "{\"ticker\":";
    append_json_quoted(out, in.ticker);
    out += ",\"sentiment\":";
    append_json_quoted(out, in.sentiment);
    out += ",\"reasoning\":";
    append_json_quoted(out, in.reasoning);
    out += '}';
  }
  return out + "]";
}

std::optional<std::string_view> sentiment_for(const NewsArticle& article, std::string_view ticker) {
  const std::string want = lower(ticker);
  for (const NewsInsight& in : article.insights)
    if (lower(in.ticker) == want) {
      if (in.sentiment.empty()) return std::nullopt;
      return std::string_view(in.sentiment);
    }
  return std::nullopt;
}

}  // namespace soi::sql
