#include "sinks/sql/clickhouse_schema.hpp"

#include <algorithm>

namespace soi::sql::clickhouse {
namespace {

std::string base_type(LogicalType type) {
  switch (type) {
    case LogicalType::date: return "Date";
    case LogicalType::text: return "String";
    case LogicalType::timestamp_ms: return "Int64";  // UTC ms (18.16 has no DateTime64)
    case LogicalType::float64: return "Float64";
    case LogicalType::int64: return "Int64";
    case LogicalType::int32: return "Int32";
    case LogicalType::text_list: return "Array(String)";
    case LogicalType::struct_list: return "String";  // the JSON document
  }
  return "String";
}

// A column definition, followed by its DateTime alias when it is a timestamp.
std::string column_def(const Column& c) {
  std::string out = quote_ident(c.name) + " " + type_name(c);
  if (c.type == LogicalType::timestamp_ms) {
    const std::string seconds = "intDiv(" + quote_ident(c.name) + ", 1000)";
    out += ", " + quote_ident(c.name + "_time") + " " + (c.nullable ? "Nullable(DateTime)" : "DateTime") +
           " ALIAS toDateTime(" + seconds + ", 'UTC')";
  }
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out;
}

}  // namespace

std::string type_name(const Column& column) {
  const std::string t = base_type(column.type);
  // Arrays cannot be Nullable; the list columns are never null.
  return column.nullable && column.type != LogicalType::text_list ? "Nullable(" + t + ")" : t;
}

std::string quote_ident(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`' || c == '\\') out += '\\';
    out += c;
  }
  return out + "`";
}

std::string quote_literal(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string local_table(const Layout& layout, std::string_view table) {
  return layout.sharded() ? std::string(table) + "_local" : std::string(table);
}

std::string routing_column(const Dataset& dataset) {
  for (const Column& c : dataset.base_columns())
    if (c.name == "ticker") return c.name;
  const std::vector<std::string> key = dataset.key();
  return key.empty() ? std::string() : key.front();
}

std::string create_local_table_sql(const Layout& layout, std::string_view table, const std::vector<Column>& columns,
                                   const std::vector<std::string>& key) {
  std::vector<std::string> defs;
  bool versioned = false;
  for (const Column& c : columns) {
    defs.push_back(column_def(c));
    versioned = versioned || c.name == "ingested_at";
  }
  std::vector<std::string> order;
  for (const std::string& k : key) order.push_back(quote_ident(k));
  return "CREATE TABLE IF NOT EXISTS " + quote_ident(local_table(layout, table)) + " (" + join(defs) +
         ") ENGINE = ReplacingMergeTree(" + (versioned ? "ingested_at" : "") + ") PARTITION BY date ORDER BY (" +
         join(order) + ")";
}

std::string create_sessions_sql() {
  const std::vector<Column> columns = {{"date", LogicalType::date},
                                       {"open_ts", LogicalType::timestamp_ms},
                                       {"close_ts", LogicalType::timestamp_ms}};
  std::vector<std::string> defs;
  for (const Column& c : columns) defs.push_back(column_def(c));
  return "CREATE TABLE IF NOT EXISTS sessions (" + join(defs) +
         ") ENGINE = ReplacingMergeTree() PARTITION BY date ORDER BY date";
}

std::string create_distributed_sql(const Layout& layout, std::string_view table) {
  // No sharding key: soi routes rows to the shards itself (each shard's day is
  // replaced from its own staging table); the Distributed table only reads.
  const std::string local = local_table(layout, table);
  return "CREATE TABLE IF NOT EXISTS " + quote_ident(table) + " AS " + quote_ident(local) + " ENGINE = Distributed(" +
         quote_ident(layout.cluster) + ", " + quote_ident(layout.database) + ", " + quote_ident(local) + ")";
}

std::string add_column_sql(std::string_view table, const Column& column) {
  return "ALTER TABLE " + quote_ident(table) + " ADD COLUMN " + column_def(column);
}

std::string create_view_sql(std::string_view sentiment_column) {
  const std::string sentiment =
      sentiment_column.empty()
          ? "CAST(NULL AS Nullable(Float64))"
          : "avg(multiIf(ifNull(" + quote_ident(sentiment_column) + ", '') = 'positive', 1, ifNull(" +
                quote_ident(sentiment_column) + ", '') = 'neutral', 0, ifNull(" + quote_ident(sentiment_column) +
                ", '') = 'negative', -1, NULL))";
  // Every regular-session second of every date in sessions, with the VIX of that
  // second as DuckDB's view computes it: the close of the last vix bar stamped at a
  // session second at or before it, else the last bar before the open. Without
  // window functions or ASOF joins, each such bar becomes the range of seconds up
  // to the next one (a date's bars gathered into sorted arrays, the next bar's time
  // from the array shifted by one), expanded into one row per second and joined.
  // Every lambda here takes its arrays as arguments: a lambda that captures a
  // column copies it once per array element.
  const std::string seconds =
      "SELECT date, toInt64(open_ts + number * 1000) AS ts FROM sessions "
      "ARRAY JOIN range(toUInt64(intDiv(close_ts - open_ts, 1000))) AS number";
  const std::string vix_in_session =
      "SELECT date, ts, close, open_ts, close_ts FROM vix_bars "
      "ANY INNER JOIN (SELECT date, open_ts, close_ts FROM sessions) USING (date)";
  const std::string vix_seconds =
      "SELECT date, toInt64(from_ts + k * 1000) AS ts, toUInt8(1) AS has_vix, vix_close FROM ("
      "SELECT date, from_ts, to_ts, vix_close FROM ("
      "SELECT date, arraySort(ts_list) AS sorted_ts, arraySort((c, t) -> t, close_list, ts_list) AS sorted_close, "
      "arrayPushBack(arrayPopFront(arraySort(ts_list)), session_close) AS next_ts FROM ("
      "SELECT date, groupArray(ts) AS ts_list, groupArray(close) AS close_list, any(close_ts) AS session_close FROM (" +
      vix_in_session +
      ") WHERE ts >= open_ts AND ts < close_ts AND (ts - open_ts) % 1000 = 0 GROUP BY date)"
      ") ARRAY JOIN sorted_ts AS from_ts, next_ts AS to_ts, sorted_close AS vix_close"
      ") ARRAY JOIN range(toUInt64(intDiv(to_ts - from_ts, 1000))) AS k";
  const std::string vix_pre_open =
      "SELECT date, toNullable(argMax(close, ts)) AS pre_open_close FROM (" + vix_in_session +
      ") WHERE ts < open_ts GROUP BY date";
  const std::string seconds_with_vix =
      "SELECT date, ts, intDiv(ts, 60000) * 60000 AS minute, "
      "if(has_vix = 1, toNullable(vix_close), pre_open_close) AS vix FROM ("
      "SELECT * FROM (SELECT * FROM (" +
      seconds + ") ANY LEFT JOIN (" + vix_seconds + ") USING (date, ts)) ANY LEFT JOIN (" + vix_pre_open +
      ") USING (date))";
  const std::string spy =
      "SELECT date, ts, toUInt8(1) AS has_spy, open AS spy_open_v, high AS spy_high_v, low AS spy_low_v, "
      "close AS spy_close_v, volume AS spy_volume_v, vwap AS spy_vwap_v, transactions AS spy_transactions_v "
      "FROM spy_bars";
  const std::string options =
      "SELECT date, ts, "
      "countIf(ifNull(contract_type, '') = 'call') AS calls_traded_v, "
      "sumIf(ifNull(volume, 0), ifNull(contract_type, '') = 'call') AS call_volume_v, "
      "countIf(ifNull(contract_type, '') = 'put') AS puts_traded_v, "
      "sumIf(ifNull(volume, 0), ifNull(contract_type, '') = 'put') AS put_volume_v "
      "FROM option_bars GROUP BY date, ts";
  const std::string news = "SELECT date, intDiv(published_utc, 60000) * 60000 AS minute, count() AS news_count_v, " +
                           sentiment + " AS news_sentiment_v FROM news GROUP BY date, minute";
  const auto bar_value = [](const char* name) {
    return std::string("if(has_spy = 1, toNullable(spy_") + name + "_v), CAST(NULL AS Nullable(Float64))) AS spy_" +
           name;
  };
  return "CREATE VIEW IF NOT EXISTS " + std::string(kViewName) + " AS SELECT date, ts, " + bar_value("open") + ", " +
         bar_value("high") + ", " + bar_value("low") + ", " + bar_value("close") +
         ", spy_volume_v AS spy_volume, spy_vwap_v AS spy_vwap, spy_transactions_v AS spy_transactions, vix, "
         "toInt64(calls_traded_v) AS calls_traded, toFloat64(call_volume_v) AS call_volume, "
         "toInt64(puts_traded_v) AS puts_traded, toFloat64(put_volume_v) AS put_volume, "
         "toInt64(news_count_v) AS news_count, news_sentiment_v AS news_sentiment "
         "FROM (SELECT * FROM (SELECT * FROM (" +
         seconds_with_vix + ") ANY LEFT JOIN (" + spy + ") USING (date, ts)) ANY LEFT JOIN (" + options +
         ") USING (date, ts)) ANY LEFT JOIN (" + news + ") USING (date, minute)";
}

}  // namespace soi::sql::clickhouse
