#include "sinks/clickhouse/clickhouse_sink.hpp"

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "config/retry_backoff.hpp"
#include "sinks/clickhouse/row_binary_writer.hpp"
#include "utils/backoff.hpp"
#include "utils/error.hpp"

namespace soi {
namespace {

namespace ch = sql::clickhouse;

constexpr int kAbandonedStageSeconds = 3600;

std::string random_suffix() {
  static thread_local std::mt19937_64 engine{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  std::uint64_t v = engine();
  for (int i = 0; i < 12; ++i, v >>= 4) out += kHex[v & 15];
  return out;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    out.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

}  // namespace

struct ClickHouseSink::Impl {
  std::vector<std::unique_ptr<ClickHouseHttp>> shards;
  ch::Layout layout;
  RetryPolicy retry;
  std::vector<std::string> news_tickers;
  std::vector<sql::Table> tables;
  std::string target;
  UniformSource random = random_uniform_source();
  // The columns each local table holds (the same on every shard: soi adds them everywhere).
  std::map<std::string, std::set<std::string>> known_columns;

  // Runs `body` until it succeeds, a failure other than a broken connection occurs,
  // or retry.max_attempts is spent.
  template <typename Body>
  void with_retries(const Body& body) {
    const int attempts = std::max(1, retry.max_attempts);
    for (int attempt = 1;; ++attempt) {
      try {
        body();
        return;
      } catch (const SoiError& e) {
        if (e.category() != ErrorCategory::network || attempt >= attempts) throw;
        std::this_thread::sleep_for(backoff_delay(backoff_policy(retry), attempt, random()));
      }
    }
  }

  std::string on_every(const std::string& sql) {
    std::string last;
    for (auto& shard : shards) with_retries([&] { last = shard->execute(sql, layout.database); });
    return last;
  }

  std::map<std::string, std::set<std::string>> columns_on(ClickHouseHttp& shard) {
    std::map<std::string, std::set<std::string>> out;
    std::string text;
    with_retries([&] {
      text = shard.execute("SELECT table, name FROM system.columns WHERE database = " +
                           ch::quote_literal(layout.database) + " FORMAT TabSeparated");
    });
    for (const std::string& line : lines(text)) {
      const std::size_t tab = line.find('\t');
      if (tab != std::string::npos) out[line.substr(0, tab)].insert(line.substr(tab + 1));
    }
    return out;
  }

  // Adds to `table` (and its Distributed table) every column of `columns` it lacks.
  void ensure_columns(const std::string& table, const std::vector<Column>& columns) {
    const std::string local = ch::local_table(layout, table);
    bool added = false;
    for (auto& shard : shards) {
      const auto present = columns_on(*shard);
      const auto it = present.find(local);
      for (const Column& c : columns) {
        if (it != present.end() && it->second.count(c.name)) continue;
        if (!c.nullable)
          throw SoiError(ErrorCategory::schema, "table " + layout.database + "." + local + " lacks column " + c.name +
                                                    ", which cannot be added to existing rows (not nullable)");
        with_retries([&] { shard->execute(ch::add_column_sql(local, c), layout.database); });
        added = true;
      }
    }
    for (const Column& c : columns) known_columns[table].insert(c.name);
    if (added && layout.sharded()) {
      // A Distributed table holds no rows: recreated with the local table's columns.
      on_every("DROP TABLE IF EXISTS " + ch::quote_ident(table));
      on_every(ch::create_distributed_sql(layout, table));
    }
  }

  void open() {
    for (auto& shard : shards)
      with_retries([&] { shard->execute("CREATE DATABASE IF NOT EXISTS " + ch::quote_ident(layout.database)); });
    for (auto& shard : shards) drop_abandoned_stages(*shard);
    Partition with_tickers;
    with_tickers.sentiment_tickers = news_tickers;
    for (const sql::Table& t : tables)
      on_every(ch::create_local_table_sql(layout, t.name, t.dataset->columns(with_tickers), t.dataset->key()));
    on_every(ch::create_sessions_sql());
    for (const sql::Table& t : tables) {
      ensure_columns(t.name, t.dataset->columns(with_tickers));
      if (layout.sharded()) on_every(ch::create_distributed_sql(layout, t.name));
    }
    // 18.16 has no CREATE OR REPLACE VIEW.
    on_every("DROP TABLE IF EXISTS " + std::string(sql::kViewName));
    on_every(ch::create_view_sql(news_tickers.empty() ? std::string() : sentiment_column(news_tickers.front())));
  }

  // Staging tables a killed run left behind. A commit holds its staging table for
  // seconds; one untouched for an hour belongs to no commit in flight, even of
  // another soi writing the same database.
  void drop_abandoned_stages(ClickHouseHttp& shard) {
    std::string names;
    with_retries([&] {
      names = shard.execute("SELECT name FROM system.tables WHERE database = " + ch::quote_literal(layout.database) +
                            " AND startsWith(name, 'soi_stage_') AND metadata_modification_time < now() - " +
                            std::to_string(kAbandonedStageSeconds) + " FORMAT TabSeparated");
    });
    for (const std::string& name : lines(names))
      if (!name.empty()) drop_quietly(shard, name);
  }

  void drop_quietly(ClickHouseHttp& shard, const std::string& table) {
    try {
      shard.execute("DROP TABLE IF EXISTS " + ch::quote_ident(table), layout.database);
    } catch (const SoiError&) {
      // A shard that is down has nothing to drop now; a leftover staging table
      // holds no rows anyone reads.
    }
  }
};

ClickHouseSink::ClickHouseSink(std::vector<ClickHouseEndpoint> shards, sql::clickhouse::Layout layout,
                               RetryPolicy retry, std::vector<std::string> news_tickers,
                               std::vector<sql::Table> tables)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  if (shards.empty()) throw SoiError(ErrorCategory::config, "sinks.clickhouse: no server to write to");
  if (shards.size() > 1 && !layout.sharded())
    throw SoiError(ErrorCategory::config,
                   "sinks.clickhouse: " + std::to_string(shards.size()) + " shards need a cluster name");
  if (layout.database.empty()) throw SoiError(ErrorCategory::config, "sinks.clickhouse.database must not be empty");
  s.layout = std::move(layout);
  s.retry = std::move(retry);
  s.news_tickers = std::move(news_tickers);
  s.tables = std::move(tables);
  s.target = s.layout.sharded() ? "cluster " + s.layout.cluster + " (" + std::to_string(shards.size()) + " shards)/" +
                                      s.layout.database
                                : shards.front().url + "/" + s.layout.database;
  for (ClickHouseEndpoint& server : shards) s.shards.push_back(std::make_unique<ClickHouseHttp>(std::move(server)));
  try {
    s.open();
  } catch (const SoiError& e) {
    const ErrorCategory category = e.category() == ErrorCategory::auth ? ErrorCategory::auth : ErrorCategory::storage;
    throw SoiError(category, "cannot open the ClickHouse tables in " + s.target + ": " + e.message());
  }
}

ClickHouseSink::~ClickHouseSink() = default;

const std::string& ClickHouseSink::target() const { return impl_->target; }

PartitionWriteResult ClickHouseSink::write(const Partition& partition, const RunInfo& run) {
  const auto started = std::chrono::steady_clock::now();
  const std::string day = format_date(partition.date);
  const std::string table(partition.table);
  const ErrorContext context{std::string(partition.name), "", day, ""};
  if (!partition.dataset || table.empty())
    throw SoiError(ErrorCategory::storage, "clickhouse sink: partition " + std::string(partition.name) + " of " + day +
                                               " names no dataset or table", context);
  const Dataset& dataset = *partition.dataset;
  const std::vector<Column> columns = dataset.columns(partition);

  std::lock_guard lock(mutex_);
  Impl& s = *impl_;
  const std::string local = ch::local_table(s.layout, table);
  const std::string where = day + " in " + s.layout.database + "." + table;
  const auto fail = [&](const SoiError& e, const std::string& what) -> SoiError {
    const ErrorCategory category = e.category() == ErrorCategory::auth ? ErrorCategory::auth : ErrorCategory::storage;
    return SoiError(category, "cannot replace " + where + what + ": " + e.message(), context);
  };

  try {
    bool known = true;
    for (const Column& c : columns) known = known && s.known_columns[table].count(c.name) > 0;
    if (!known) s.ensure_columns(table, columns);
  } catch (const SoiError& e) {
    throw fail(e, " (adding columns)");
  }

  // Encode every shard's rows once; a retried step resends the same bodies.
  const WriteStamp stamp{run.run_id, now_utc_ms()};
  RowBinaryWriter writer(columns, ch::routing_column(dataset), s.shards.size());
  std::unique_ptr<RowCursor> cursor = dataset.rows(partition, stamp);
  while (cursor->write_next(writer)) {
  }
  std::uint64_t total = 0;
  for (std::uint64_t n : writer.rows()) total += n;
  if (total != dataset.row_count(partition))
    throw SoiError(ErrorCategory::storage,
                   "clickhouse sink: encoded " + std::to_string(total) + " rows of " + where + ", expected " +
                       std::to_string(dataset.row_count(partition)),
                   context);

  std::string column_list;
  for (std::size_t i = 0; i < columns.size(); ++i) column_list += (i ? ", " : "") + ch::quote_ident(columns[i].name);
  const bool with_session = partition.session_open_ms != 0 && partition.session_close_ms != 0;
  const std::string suffix = random_suffix();
  const std::string stage = "soi_stage_" + local + "_" + suffix;
  const std::string session_stage = "soi_stage_sessions_" + suffix;
  const std::string day_literal = ch::quote_literal(day);
  const auto drop_stages = [&] {
    for (auto& shard : s.shards) {
      s.drop_quietly(*shard, stage);
      if (with_session) s.drop_quietly(*shard, session_stage);
    }
  };

  // 1. Stage every shard's rows: nothing is replaced unless every shard took its rows.
  for (std::size_t i = 0; i < s.shards.size(); ++i) {
    ClickHouseHttp& shard = *s.shards[i];
    try {
      s.with_retries([&] {
        shard.execute("DROP TABLE IF EXISTS " + ch::quote_ident(stage), s.layout.database);
        shard.execute("CREATE TABLE " + ch::quote_ident(stage) + " AS " + ch::quote_ident(local), s.layout.database);
        if (writer.rows()[i] > 0)
          shard.insert("INSERT INTO " + ch::quote_ident(stage) + " (" + column_list + ") FORMAT RowBinary",
                       s.layout.database, writer.bodies()[i]);
        if (with_session) {
          shard.execute("DROP TABLE IF EXISTS " + ch::quote_ident(session_stage), s.layout.database);
          shard.execute("CREATE TABLE " + ch::quote_ident(session_stage) + " AS sessions", s.layout.database);
          shard.execute("INSERT INTO " + ch::quote_ident(session_stage) + " (date, open_ts, close_ts) VALUES (" +
                            day_literal + ", " + std::to_string(partition.session_open_ms) + ", " +
                            std::to_string(partition.session_close_ms) + ")",
                        s.layout.database);
        }
      });
    } catch (const SoiError& e) {
      drop_stages();
      throw fail(e, s.shards.size() > 1 ? " (staging on shard " + shard.url() + "; no shard was changed)"
                                        : std::string(" (nothing was changed)"));
    }
  }

  // 2. Replace the day on every shard, each atomically.
  std::vector<std::string> replaced;
  for (auto& shard_ptr : s.shards) {
    ClickHouseHttp& shard = *shard_ptr;
    try {
      s.with_retries([&] {
        shard.execute("ALTER TABLE " + ch::quote_ident(local) + " REPLACE PARTITION " + day_literal + " FROM " +
                          ch::quote_ident(stage),
                      s.layout.database);
        if (with_session)
          shard.execute("ALTER TABLE sessions REPLACE PARTITION " + day_literal + " FROM " +
                            ch::quote_ident(session_stage),
                        s.layout.database);
      });
      replaced.push_back(shard.url());
    } catch (const SoiError& e) {
      drop_stages();
      std::string note = " (replacing on shard " + shard.url();
      if (!replaced.empty()) {
        note += "; already replaced on";
        for (const std::string& url : replaced) note += " " + url;
        note += ": rerun the day to make the shards agree";
      }
      throw fail(e, note + ")");
    }
  }
  drop_stages();

  PartitionWriteResult result;
  result.sink = "clickhouse";
  result.feed = std::string(partition.name);
  result.date = day;
  result.location = s.target + "." + table;
  result.rows = total;
  for (const std::string& body : writer.bodies()) result.bytes += body.size();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

std::unique_ptr<ClickHouseSink> make_clickhouse_sink(const ClickHouseSinkConfig& config, const std::string& password,
                                                     const RetryPolicy& retry, std::vector<std::string> news_tickers,
                                                     std::vector<sql::Table> tables) {
  std::vector<ClickHouseEndpoint> servers;
  const std::vector<std::string> urls = config.shards.empty() ? std::vector<std::string>{config.url} : config.shards;
  for (const std::string& url : urls) {
    ClickHouseEndpoint server;
    server.url = url;
    server.user = config.user;
    server.password = password;
    server.password_env = config.password_env;
    server.connect_timeout_seconds = retry.connect_timeout_seconds;
    servers.push_back(std::move(server));
  }
  sql::clickhouse::Layout layout{config.database, urls.size() > 1 ? config.cluster : std::string()};
  return std::make_unique<ClickHouseSink>(std::move(servers), std::move(layout), retry, std::move(news_tickers),
                                          std::move(tables));
}

}  // namespace soi
