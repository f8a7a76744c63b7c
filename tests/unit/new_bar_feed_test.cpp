// A bar feed that exists only in this test (QQQ) goes through the backfill and every
// sink (Parquet, the DuckDB database, PostgreSQL) from one registry entry and its
// configuration: no sink, schema or job code names it.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <random>

#include "config/feed_registry.hpp"
#include "orchestrator/backfill_job.hpp"
#include "simulator/http_server.hpp"
#include "sinks/duckdb/consolidated_duckdb_sink.hpp"
#include "sinks/duckdb/duckdb_session.hpp"
#include "sinks/sink_factory.hpp"
#include "support/postgres_server.hpp"
#include "utils/redact.hpp"

namespace soi {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUrlVariable = "SOI_TEST_NEW_FEED_POSTGRES_URL";

// The whole definition of the new feed: what a developer adds to the registry.
FeedSpec qqq_feed() {
  FeedSpec f;
  f.name = "qqq";
  f.dataset = DatasetKind::bars;
  f.sql_table = "qqq_bars";
  f.shape = ResponseShape::equity_aggs;
  f.rest_tickers = [](const Config&) { return std::vector<std::string>{"QQQ"}; };
  f.rest_base_url = [](const Config& c) { return c.sources.rest_base_url; };
  f.page_limit = [](const Config&) { return 50000; };
  f.adjusted = [](const Config&) { return true; };
  f.enabled = [](const Config&) { return true; };
  return f;
}

TEST(NewBarFeedTest, OneRegistryEntryTakesANewBarFeedThroughTheBackfillAndEverySink) {
  test::PostgresServer postgres;
  ASSERT_NO_THROW(postgres.start());
  sim::SimulatorServer simulator(sim::SimulatorOptions{});
  simulator.start();
  const fs::path dir = fs::temp_directory_path() / ("soi-new-feed-" + std::to_string(std::random_device{}()));

  std::vector<FeedSpec> specs = default_feeds().feeds();
  specs.push_back(qqq_feed());
  const FeedRegistry feeds(std::move(specs));

  Config config;
  config.settings.data_dir = dir.string();
  config.sources.rest_base_url = simulator.base_url();
  config.retry.initial_backoff_ms = 1;
  config.retry.max_backoff_ms = 2;
  config.sinks.postgres.enabled = true;
  config.sinks.postgres.url_env = kUrlVariable;
  ::setenv(kUrlVariable, postgres.url().c_str(), 1);

  const Date day = *parse_date("2025-01-17");
  std::uint64_t rows = 0;
  {
    auto store = make_partition_store(config);
    auto sinks = make_sinks(config, store, feeds);
    ASSERT_EQ(sinks->size(), 3u);  // parquet, duckdb, postgres
    RestClient client(simulator.base_url(), "new-feed-test-key-1234", config.retry);
    RunManifest manifest(dir.string(), "run-1", "test", 0);
    QuarantineWriter quarantine(dir.string());
    SchemaDriftTracker drift(dir.string(), [](const DriftAlert&) {});
    ErrorSummary errors;
    MarketCalendar calendar;
    BackfillJob job(BackfillServices{config, client, calendar, *sinks, manifest, quarantine, drift, errors,
                                     RunInfo{"run-1", 0}});
    const BackfillSummary summary = job.run(bar_feed_spec(feeds.at("qqq"), config), {day}, nullptr);
    ASSERT_EQ(summary.days.size(), 1u);
    ASSERT_TRUE(summary.days[0].ok) << summary.days[0].error;
    rows = summary.days[0].rows;
    ASSERT_GT(rows, 1000u);  // a regular session of per-second bars

    std::vector<std::string> written;
    for (const auto& p : manifest.partitions()) written.push_back(p.sink + " " + p.feed + " " + std::to_string(p.rows));
    const std::string n = std::to_string(rows);
    EXPECT_EQ(written, (std::vector<std::string>{"parquet qqq " + n, "duckdb qqq " + n, "postgres qqq " + n}));

    // Parquet: raw/qqq/date=2025-01-17/data.parquet, the bars' columns.
    const auto object = store->get(partition_key("qqq", day));
    ASSERT_TRUE(object.has_value());
    DuckDbSession reader;
    const std::string file = DuckDbSession::quote(object->path().string());
    EXPECT_EQ(reader.query_int("SELECT count(*) FROM read_parquet(" + file + ") WHERE ticker = 'QQQ' AND volume > 0"),
              static_cast<std::int64_t>(rows));
  }
  // The consolidated DuckDB database got a relation of its own for the feed (a view over its files).
  {
    DuckDbSession db(ConsolidatedDuckDbSink::default_path(dir.string()).string(), 1, true);
    EXPECT_EQ(db.query_int("SELECT count(*) FROM qqq_bars WHERE date = DATE '2025-01-17' AND ticker = 'QQQ'"),
              static_cast<std::int64_t>(rows));
    EXPECT_EQ(db.query_int("SELECT count(*) FROM sessions WHERE date = DATE '2025-01-17'"), 1);
  }
  // So did PostgreSQL, keyed like every bar table.
  const auto pg = postgres.query("SELECT count(*), count(DISTINCT ts) FROM soi.qqq_bars WHERE ticker = 'QQQ'");
  ASSERT_EQ(pg.size(), 1u);
  EXPECT_EQ(pg[0][0], std::to_string(rows));
  EXPECT_EQ(pg[0][1], std::to_string(rows));

  ::unsetenv(kUrlVariable);
  clear_secrets();
  simulator.stop();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace soi
