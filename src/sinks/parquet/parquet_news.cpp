// ParquetSink::write(NewsPartition): raw/news/date=YYYY-MM-DD/data.parquet.
//
// The articles are appended to a staging table on the sink's in-memory DuckDB
// session (lists as JSON text, converted with the built-in json extension's
// from_json), then COPY (SELECT ... ORDER BY published_utc, id) writes the
// temp file that commit() renames into place. The staging table is dropped
// whatever happens.
#include <algorithm>
#include <string>
#include <vector>

#include "sinks/duckdb/duckdb_session.hpp"
#include "sinks/parquet/parquet_sink.hpp"
#include "sinks/sql/consolidated_schema.hpp"
#include "utils/error.hpp"
#include "utils/json_text.hpp"

namespace soi {
namespace {

constexpr const char* kStageTable = "soi_news_stage";

std::string quote_ident(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::string json_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& s : items) {
    if (out.size() > 1) out += ',';
    append_json_quoted(out, s);
  }
  return out + ']';
}

std::string json_insights(const std::vector<NewsInsight>& insights) {
  std::string out = "[";
  for (const auto& i : insights) {
    if (out.size() > 1) out += ',';
    out += "{\"ticker\":";
    append_json_quoted(out, i.ticker);
    out += ",\"sentiment\":";
    append_json_quoted(out, i.sentiment);
    out += ",\"reasoning\":";
    append_json_quoted(out, i.reasoning);
    out += '}';
  }
  return out + ']';
}

// One sentiment column per configured ticker (two tickers mapping to the same
// column name keep the first).
struct SentimentColumn {
  std::string ticker;
  std::string column;
};

std::vector<SentimentColumn> sentiment_columns(std::span<const std::string> tickers) {
  std::vector<SentimentColumn> out;
  for (const auto& t : tickers) {
    std::string column = sentiment_column(t);
    if (std::none_of(out.begin(), out.end(), [&](const SentimentColumn& c) { return c.column == column; }))
      out.push_back({t, std::move(column)});
  }
  return out;
}

}  // namespace

PartitionWriteResult ParquetSink::write(const NewsPartition& partition, const RunInfo& run) {
  return commit("news", partition.date, [&](const std::string& temp_path) -> std::uint64_t {
    const std::vector<SentimentColumn> sentiments = sentiment_columns(partition.sentiment_tickers);
    std::string create = std::string("CREATE OR REPLACE TABLE ") + kStageTable +
                         " (id VARCHAR, published_ms BIGINT, title VARCHAR, description VARCHAR, author VARCHAR, "
                         "article_url VARCHAR, publisher VARCHAR, tickers VARCHAR, keywords VARCHAR, insights VARCHAR";
    for (std::size_t i = 0; i < sentiments.size(); ++i) create += ", s" + std::to_string(i) + " VARCHAR";
    create += ")";
    session_->execute(create);
    struct DropStage {
      DuckDbSession& session;
      ~DropStage() {
        try {
          session.execute(std::string("DROP TABLE IF EXISTS ") + kStageTable);
        } catch (...) {
        }
      }
    } drop{*session_};

    {
      DuckDbAppender appender(*session_, kStageTable);
      auto text_or_null = [&](const std::string& s) {
        if (s.empty()) appender.append_null();
        else appender.append(std::string_view(s));
      };
      for (const NewsArticle& a : partition.articles) {
        appender.append(std::string_view(a.id));
        appender.append(a.published_ms);
        appender.append(std::string_view(a.title));
        text_or_null(a.description);
        text_or_null(a.author);
        appender.append(std::string_view(a.article_url));
        text_or_null(a.publisher);
        appender.append(std::string_view(json_list(a.tickers)));
        appender.append(std::string_view(json_list(a.keywords)));
        appender.append(std::string_view(json_insights(a.insights)));
        for (const SentimentColumn& c : sentiments) {
          // The same rule as the SQL sinks (ticker matched case-insensitively).
          const auto sentiment = sql::sentiment_for(a, c.ticker);
          if (!sentiment || sentiment->empty()) appender.append_null();
          else appender.append(*sentiment);
        }
        appender.end_row();
      }
      appender.flush();
    }

    std::string select =
        "SELECT id, CAST(epoch_ms(published_ms) AS TIMESTAMPTZ) AS published_utc, title, description, author, "
        "article_url, publisher, "
        "CAST(from_json(tickers, '[\"VARCHAR\"]') AS VARCHAR[]) AS tickers, "
        "CAST(from_json(keywords, '[\"VARCHAR\"]') AS VARCHAR[]) AS keywords, "
        "CAST(from_json(insights, '[{\"ticker\":\"VARCHAR\",\"sentiment\":\"VARCHAR\",\"reasoning\":\"VARCHAR\"}]') "
        "AS STRUCT(ticker VARCHAR, sentiment VARCHAR, reasoning VARCHAR)[]) AS insights";
    for (std::size_t i = 0; i < sentiments.size(); ++i)
      select += ", s" + std::to_string(i) + " AS " + quote_ident(sentiments[i].column);
    select += ", CAST(" + DuckDbSession::quote(format_utc_iso_ms(now_utc_ms())) + " AS TIMESTAMPTZ) AS ingested_at";
    select += ", CAST(" + DuckDbSession::quote(run.run_id) + " AS VARCHAR) AS run_id";
    select += std::string(" FROM ") + kStageTable + " ORDER BY published_ms, id";
    const std::int64_t written =
        session_->query_int("COPY (" + select + ") TO " + DuckDbSession::quote(temp_path) + copy_options());
    if (static_cast<std::uint64_t>(written) != partition.articles.size())
      throw SoiError(ErrorCategory::storage, "parquet writer wrote " + std::to_string(written) + " news rows, expected " +
                                                 std::to_string(partition.articles.size()));
    return partition.articles.size();
  });
}

}  // namespace soi
