// The consolidated tables and view in a PostgreSQL server, through libpq
// (schema in sinks/sql/consolidated_schema.hpp, shared with the DuckDB sink).
//
// Each write is ONE transaction: DELETE the day, COPY the rows (text format)
// into a temp staging table, INSERT ... SELECT ... ON CONFLICT (pk) DO UPDATE,
// upsert the session bounds, COMMIT. A rerun of a day therefore replaces it,
// never duplicates it; a failure rolls back and leaves the previous day.
//
// The connection string comes from the environment (sinks.postgres.url_env,
// or the git-ignored .env); its password (the whole string when it cannot be
// parsed) is registered for redaction, and messages name host:port/database and
// user only. Connection-level failures (server down or restarting, connection
// lost, serialization failures) are retried with the retry_policy backoff;
// SQL errors and authentication failures are not.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "sinks/sink.hpp"
#include "sinks/sql/consolidated_schema.hpp"

namespace soi {

class PostgresSink : public Sink {
 public:
  // Connects (with retries), creates the schema config.schema when missing,
  // creates/migrates the tables and (re)creates the view. news_tickers:
  // sources.news.tickers (one sentiment column each; the first feeds
  // market_seconds.news_sentiment). Throws SoiError(config) for a conninfo that
  // cannot be parsed, SoiError(auth) for refused credentials and
  // SoiError(storage) when the server cannot be reached or the schema fails.
  // tables: one per feed (default: the four feeds' five tables).
  PostgresSink(std::string conninfo, PostgresSinkConfig config, RetryPolicy retry,
               std::vector<std::string> news_tickers, std::vector<sql::Table> tables = sql::default_tables());
  ~PostgresSink() override;
  PostgresSink(const PostgresSink&) = delete;
  PostgresSink& operator=(const PostgresSink&) = delete;

  std::string_view name() const override { return "postgres"; }

  // Thread-safe (serialized on the sink's one connection).
  // One transaction: DELETE the day, COPY the partition into a staging table,
  // upsert on the dataset's key, upsert the session bounds. Dynamic columns the
  // table lacks are added first, in their own transaction.
  using Sink::write;
  PartitionWriteResult write(const Partition& partition, const RunInfo& run) override;

  // "host:port/database" (no user, no password): what messages and results name.
  const std::string& target() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::mutex mutex_;
};

// COPY text format helpers (exposed for tests): the field escaped (\\ \t \n \r),
// and a TEXT[] literal {"a","b"} before COPY escaping.
std::string pg_copy_escape(std::string_view field);
std::string pg_array_literal(const std::vector<std::string>& items);

}  // namespace soi
