// `soi stream --once` over a whole simulated trading day (simulator at speed 0:
// as fast as the stream reads): the streamed day equals the REST backfill of
// the same day row for row, in Parquet and in the consolidated DuckDB, with
// heartbeats, the options universe and the day's news; the API key reaches no
// file and no output.
#include <gtest/gtest.h>

#include <filesystem>

#include "monitoring/heartbeat.hpp"
#include "support/process.hpp"
#include "support/stream_fixture.hpp"

namespace soi::it {
namespace {

namespace fs = std::filesystem;

// One stream of the day; each check below is a part of the one test (a
// second ctest process would stream the day again).
class StreamDayTest : public ::testing::Test {
 protected:
  fs::path data() const { return work_.path() / "data"; }
  const ProcessResult& result() const { return result_; }
  const std::string& summary() const { return result_.out; }

  void summary_is_ok();
  void every_feed_equals_the_backfill();
  void options_universe_and_news_are_partitioned();
  void consolidated_duckdb_holds_the_same_day();
  void heartbeats_of_every_market_end_closed();
  void the_api_key_is_nowhere();

  TempDir work_;
  ProcessResult result_;
  std::string sim_log_;
};

TEST_F(StreamDayTest, FullDayEqualsTheBackfillEverywhereAndLeaksNoKey) {
  {
    SimulatorProcess sim(sim_args(kBeforeOpen, "0"));
    result_ = run_stream(sim, data());
    sim.stop();
    sim_log_ = sim.stderr_text();
  }
  ASSERT_EQ(result().exit_code, 0) << result().err << result().out;
  summary_is_ok();
  every_feed_equals_the_backfill();
  options_universe_and_news_are_partitioned();
  consolidated_duckdb_holds_the_same_day();
  heartbeats_of_every_market_end_closed();
  the_api_key_is_nowhere();
}

void StreamDayTest::summary_is_ok() {
  SCOPED_TRACE("summary_is_ok");
  EXPECT_EQ(json_field(summary(), "status"), "ok") << summary();
  EXPECT_EQ(json_field(summary(), "ok"), "true");
  EXPECT_EQ(json_field(summary(), "stopped"), "false");
  EXPECT_EQ(json_field(summary(), "error"), "null");
  EXPECT_EQ(json_field(summary(), "date"), kStreamDay);
  EXPECT_EQ(json_int(summary(), "replayed"), 0);
  EXPECT_EQ(json_int(summary(), "quarantined"), 0);
  EXPECT_EQ(json_int(summary(), "late"), 0);
  EXPECT_EQ(json_int(summary(), "reconnects"), 0);
  EXPECT_GE(json_int(summary(), "commits"), 1);
  EXPECT_GE(json_int(summary(), "connections"), 3);  // stocks, indices, options
  // SPY and VIX about every second of the session, streamed; on a loaded machine a connection
  // that lags the simulator's shared clock at the close has its rest repaired over REST.
  EXPECT_GT(json_int(summary(), "events") + json_int(summary(), "gap_bars"), 40000) << summary();
  EXPECT_GT(json_int(summary(), "events"), 10000) << summary();
  EXPECT_NE(json_field(summary(), "manifest"), "null");
  EXPECT_TRUE(fs::exists(json_field(summary(), "manifest")) ||
              fs::exists(data().parent_path() / json_field(summary(), "manifest")));
}

void StreamDayTest::every_feed_equals_the_backfill() {
  SCOPED_TRACE("every_feed_equals_the_backfill");
  const fs::path truth = ground_truth(kStreamDay);
  expect_equals_ground_truth(data(), truth, "full day");
  for (const auto& feed : kBarFeeds) {
    EXPECT_TRUE(fs::exists(partition(data(), feed, kStreamDay))) << feed;
    EXPECT_EQ(json_feed_rows(summary(), feed), feed_rows(data(), feed)) << feed << ": " << summary();
  }
  // Only the session: 09:30 <= ts < 16:00 New York, on whole seconds.
  for (const auto& feed : kBarFeeds) {
    EXPECT_EQ(duckdb_scalar("SELECT min(strftime(ts AT TIME ZONE 'America/New_York', '%H:%M:%S')) >= '09:30:00' AND "
                            "max(strftime(ts AT TIME ZONE 'America/New_York', '%H:%M:%S')) < '16:00:00' FROM " +
                            feed_scan(data(), feed)),
              "true")
        << feed;
  }
  EXPECT_EQ(duckdb_scalar("SELECT any_value(ticker) FROM " + feed_scan(data(), "vix")), "I:VIX");
  EXPECT_EQ(duckdb_scalar("SELECT count(volume) FROM " + feed_scan(data(), "vix")), "0");  // NULL for an index
}

void StreamDayTest::options_universe_and_news_are_partitioned() {
  SCOPED_TRACE("options_universe_and_news_are_partitioned");
  const fs::path truth = ground_truth(kStreamDay);
  // The universe the stream subscribed is the one the backfill derives from the same open.
  ASSERT_TRUE(fs::exists(partition(data(), "options_contracts", kStreamDay)));
  const std::string contracts = "read_parquet('" + partition(data(), "options_contracts", kStreamDay).string() + "')";
  const std::string truth_contracts =
      "read_parquet('" + partition(truth, "options_contracts", kStreamDay).string() + "')";
  EXPECT_EQ(duckdb_scalar("SELECT count(*) FROM " + contracts), std::to_string(json_int(summary(), "contracts")));
  EXPECT_EQ(duckdb_scalar("SELECT count(*) FROM " + contracts),
            duckdb_scalar("SELECT count(*) FROM " + truth_contracts));
  EXPECT_EQ(duckdb_scalar("SELECT count(*) FROM (SELECT ticker FROM " + contracts + " EXCEPT SELECT ticker FROM " +
                          truth_contracts + ")"),
            "0");
  EXPECT_EQ(duckdb_scalar("SELECT count(DISTINCT ticker) FROM " + feed_scan(data(), "options")),
            duckdb_scalar("SELECT count(*) FROM " + contracts));
  // News polled during the session: the day's articles published by the close.
  ASSERT_TRUE(fs::exists(partition(data(), "news", kStreamDay)));
  const std::int64_t news = feed_rows(data(), "news");
  EXPECT_GT(news, 0);
  EXPECT_EQ(news, json_int(summary(), "news_articles"));
  EXPECT_LE(news, feed_rows(truth, "news"));
  EXPECT_EQ(duckdb_scalar("SELECT count(*) FROM (SELECT id FROM " + feed_scan(data(), "news") +
                          " EXCEPT SELECT id FROM " + feed_scan(truth, "news") + ")"),
            "0");
}

void StreamDayTest::consolidated_duckdb_holds_the_same_day() {
  SCOPED_TRACE("consolidated_duckdb_holds_the_same_day");
  const fs::path db = data() / "processed" / "consolidated" / "market.duckdb";
  ASSERT_TRUE(fs::exists(db));
  const std::pair<const char*, const char*> tables[] = {
      {"spy", "spy_bars"}, {"vix", "vix_bars"}, {"options", "option_bars"}};
  for (const auto& [feed, table] : tables) {
    EXPECT_EQ(duckdb_file_scalar(db, std::string("SELECT count(*) FROM ") + table),
              std::to_string(feed_rows(data(), feed)))
        << table;
    EXPECT_EQ(duckdb_file_scalar(db, std::string("SELECT count(*) - count(DISTINCT (ticker, ts)) FROM ") + table), "0")
        << table;
  }
  EXPECT_EQ(duckdb_file_scalar(db, "SELECT count(*) FROM news"), std::to_string(feed_rows(data(), "news")));
}

void StreamDayTest::heartbeats_of_every_market_end_closed() {
  SCOPED_TRACE("heartbeats_of_every_market_end_closed");
  std::uint64_t messages = 0;
  for (const char* market : {"stocks", "indices", "options"}) {
    const fs::path file = data() / "logs" / "heartbeat" / (std::string(market) + "_status.json");
    ASSERT_TRUE(fs::exists(file)) << market;
    const std::string text = read_file(file);
    for (const char* field :
         {"source", "last_heartbeat", "pid", "interval_seconds", "messages_last_interval", "messages_total",
          "last_message", "connection", "reconnects", "queue_depth", "spilled", "lag_seconds"})
      EXPECT_NE(text.find(std::string("\"") + field + "\":"), std::string::npos)
          << market << " lacks " << field << ":\n"
          << text;
    const HeartbeatRecord hb = read_heartbeat_file(file.string());
    EXPECT_EQ(hb.source, market);
    EXPECT_EQ(hb.connection, ConnectionStatus::closed) << text;
    EXPECT_EQ(hb.reconnects, 0u) << text;
    EXPECT_EQ(hb.queue_depth, 0u) << text;
    EXPECT_GT(hb.pid, 0);
    messages += hb.messages_total;
  }
  // Every WebSocket event is counted under its market.
  EXPECT_EQ(messages, static_cast<std::uint64_t>(json_int(summary(), "events")));
  // SPY bars arrive over the stocks connection (REST only repairs gaps).
  const auto stocks = read_heartbeat_file((data() / "logs/heartbeat/stocks_status.json").string()).messages_total;
  EXPECT_GT(stocks, 0u);
  EXPECT_LE(stocks, static_cast<std::uint64_t>(feed_rows(data(), "spy")));
}

void StreamDayTest::the_api_key_is_nowhere() {
  SCOPED_TRACE("the_api_key_is_nowhere");
  EXPECT_EQ(result().out.find(kStreamKey), std::string::npos);
  EXPECT_EQ(result().err.find(kStreamKey), std::string::npos);
  EXPECT_EQ(sim_log_.find(kStreamKey), std::string::npos);
  const auto leaks = files_containing(work_.path(), kStreamKey);
  EXPECT_TRUE(leaks.empty()) << "key found in " << (leaks.empty() ? "" : leaks.front().string());
  // Not even a recognisable part of it (logs show at most a masked tail).
  const std::string middle = std::string(kStreamKey).substr(8, 12);
  const auto partial = files_containing(work_.path(), middle);
  EXPECT_TRUE(partial.empty()) << "part of the key found in " << (partial.empty() ? "" : partial.front().string());
  EXPECT_GT(files_under(data()).size(), 10u);  // the scan did cover the run's files
}

}  // namespace
}  // namespace soi::it
