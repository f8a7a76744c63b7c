// The consolidated tables and view in ClickHouse: one server, or the shards of a
// cluster (schema and layout in sinks/sql/clickhouse_schema.hpp), over HTTP
// (clickhouse_http.hpp), rows in RowBinary (row_binary_writer.hpp).
//
// A write replaces the partition's day on every shard:
//   1. every shard: a fresh staging table (CREATE TABLE ... AS the local table),
//      loaded with that shard's rows (rows go to shards by ticker) and, for a bar
//      partition, a sessions staging table with the day's session;
//   2. every shard: ALTER TABLE <local> REPLACE PARTITION '<day>' FROM <staging>,
//      atomic on that shard: readers see its old day or its new day;
//   3. the staging tables are dropped, whatever happened.
// A row the server rejects fails step 1: nothing is replaced anywhere and no
// staging table is left. A shard that cannot be reached fails the day in this
// sink only (category storage; SinkSet lets the other sinks commit); when it
// fails in step 2 after other shards replaced the day, the message says so and
// rerunning the day makes the shards agree again. Connection failures are
// retried with the retry_policy backoff, each retry starting its step over.
//
// The password comes from the variable sinks.clickhouse.password_env (the caller
// reads it) and is redacted everywhere. Limitation: an article whose publication
// moved to another day keeps its old row on that day (no cross-day delete).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "sinks/clickhouse/clickhouse_http.hpp"
#include "sinks/sink.hpp"
#include "sinks/sql/clickhouse_schema.hpp"
#include "sinks/sql/consolidated_schema.hpp"

namespace soi {

class ClickHouseSink : public Sink {
 public:
  // shards: one server per shard (exactly one without a cluster). Creates the
  // database, the tables (adding the nullable columns a table lacks), the
  // Distributed tables on a cluster, and (re)creates market_seconds, on every
  // shard. news_tickers: sources.news.tickers (one sentiment column each; the
  // first feeds market_seconds.news_sentiment). Throws SoiError(config) for a
  // bad layout, SoiError(auth) when a server refuses the credentials and
  // SoiError(storage) when a server cannot be reached or refuses the schema.
  ClickHouseSink(std::vector<ClickHouseEndpoint> shards, sql::clickhouse::Layout layout, RetryPolicy retry,
                 std::vector<std::string> news_tickers, std::vector<sql::Table> tables = sql::default_tables());
  ~ClickHouseSink() override;
  ClickHouseSink(const ClickHouseSink&) = delete;
  ClickHouseSink& operator=(const ClickHouseSink&) = delete;

  std::string_view name() const override { return "clickhouse"; }

  // Thread-safe (serialized on the sink's connections). See the steps above.
  using Sink::write;
  PartitionWriteResult write(const Partition& partition, const RunInfo& run) override;

  // "http://host:8123/soi" or "cluster soi_cluster (2 shards)/soi": what results name.
  const std::string& target() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::mutex mutex_;
};

// The sink sinks.yaml's clickhouse section describes, with `password` read from
// the variable it names ("" when unset). Throws as the constructor.
std::unique_ptr<ClickHouseSink> make_clickhouse_sink(const ClickHouseSinkConfig& config, const std::string& password,
                                                     const RetryPolicy& retry, std::vector<std::string> news_tickers,
                                                     std::vector<sql::Table> tables);

}  // namespace soi
