// The news backfill against an in-process simulator with a real Parquet sink:
// one partition per New York calendar date (weekends included), dedup across
// tickers, sentiment columns, reruns, quarantine, refetch and failures.
#include "orchestrator/news_backfill.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "simulator/http_server.hpp"
#include "sinks/duckdb/duckdb_session.hpp"
#include "sinks/parquet/parquet_sink.hpp"
#include "sinks/store/local_store.hpp"
#include "utils/redact.hpp"

namespace soi {
namespace {

namespace fs = std::filesystem;

class NewsBackfillTest : public ::testing::Test {
 protected:
  void start(std::vector<std::string> faults, std::string key = "") {
    sim::SimulatorOptions options;
    options.config.faults = std::move(faults);
    options.api_key = std::move(key);
    // Monday 2025-02-03 15:00 New York: the simulator serves nothing newer.
    options.clock = [] { return ny_wall_to_utc_ms(*parse_date("2025-02-03"), 15 * 60); };
    server_ = std::make_unique<sim::SimulatorServer>(options);
    server_->start();
    dir_ = fs::temp_directory_path() / ("soi-news-backfill-" + std::to_string(std::random_device{}()));
    config_.retry.initial_backoff_ms = 1;
    config_.retry.max_backoff_ms = 2;
    config_.settings.data_dir = dir_.string();
    client_ = std::make_unique<RestClient>(server_->base_url(), "news-test-key-1234", config_.retry);
    client_->set_sleeper([](int) {});
    manifest_ = std::make_unique<RunManifest>(dir_.string(), "run-1", "test", 0);
    quarantine_ = std::make_unique<QuarantineWriter>(dir_.string());
    drift_ = std::make_unique<SchemaDriftTracker>(dir_.string(), [this](const DriftAlert&) { ++alerts_; });
    sinks_ = std::make_unique<SinkSet>();
    sinks_->add(std::make_unique<ParquetSink>(std::make_shared<LocalStore>(dir_), ParquetSinkConfig{}));
    reader_.execute("SET TimeZone = 'UTC'");
  }
  BackfillSummary run(const std::vector<std::string>& dates, const std::string& run_id = "run-1") {
    NewsBackfillJob job(BackfillServices{config_, *client_, calendar_, *sinks_, *manifest_, *quarantine_, *drift_,
                                         errors_, RunInfo{run_id, 0}});
    std::vector<Date> days;
    for (const auto& d : dates) days.push_back(*parse_date(d));
    return job.run(days, nullptr);
  }
  void TearDown() override {
    quarantine_.reset();
    if (server_) server_->stop();
    fs::remove_all(dir_);
    clear_secrets();
  }
  fs::path file(const std::string& date) const { return dir_ / "raw" / "news" / ("date=" + date) / "data.parquet"; }
  std::string all_files() const {
    return "read_parquet(" + DuckDbSession::quote((dir_ / "raw" / "news" / "*" / "data.parquet").string()) +
           ", hive_partitioning = true, union_by_name = true)";
  }
  std::int64_t rows_in(const std::string& date) const {
    return reader_.query_int("SELECT count(*) FROM read_parquet(" + DuckDbSession::quote(file(date).string()) + ")");
  }

  Config config_;
  MarketCalendar calendar_;
  ErrorSummary errors_;
  int alerts_ = 0;
  fs::path dir_;
  DuckDbSession reader_;
  std::unique_ptr<sim::SimulatorServer> server_;
  std::unique_ptr<RestClient> client_;
  std::unique_ptr<RunManifest> manifest_;
  std::unique_ptr<QuarantineWriter> quarantine_;
  std::unique_ptr<SchemaDriftTracker> drift_;
  std::unique_ptr<SinkSet> sinks_;
};

TEST_F(NewsBackfillTest, OnePartitionPerNewYorkCalendarDateIncludingWeekends) {
  start({});
  // Friday and Monday: the weekend between them is included.
  auto s = run({"2025-01-20", "2025-01-17"});
  EXPECT_EQ(s.feed, "news");
  ASSERT_EQ(s.days.size(), 4u);
  const std::vector<std::string> dates{"2025-01-17", "2025-01-18", "2025-01-19", "2025-01-20"};
  for (std::size_t i = 0; i < dates.size(); ++i) {
    EXPECT_EQ(format_date(s.days[i].date), dates[i]);
    EXPECT_TRUE(s.days[i].ok) << s.days[i].error;
    EXPECT_GE(s.days[i].rows, 4u) << dates[i];  // the simulator publishes 4-12 articles a day
    EXPECT_LE(s.days[i].rows, 12u) << dates[i];
    EXPECT_EQ(static_cast<std::uint64_t>(rows_in(dates[i])), s.days[i].rows);
    EXPECT_EQ(s.days[i].location, file(dates[i]).string());
  }
  EXPECT_EQ(s.failed_days(), 0u);
  EXPECT_EQ(manifest_->partitions().size(), 4u);
  // Every article sits in the partition of its New York publication date.
  EXPECT_EQ(reader_.query_int("SELECT count(*) FROM " + all_files() +
                              " WHERE CAST(timezone('America/New_York', published_utc) AS DATE) <> date"),
            0);
  EXPECT_EQ(reader_.query_int("SELECT count(*) FROM " + all_files() + " WHERE sentiment_spy IS NULL"), 0);
  EXPECT_EQ(reader_.query_int("SELECT count(*) FROM " + all_files() + " WHERE run_id <> 'run-1'"), 0);
}

TEST_F(NewsBackfillTest, ArticlesTaggedWithSeveralTickersAreStoredOnce) {
  start({});
  config_.sources.news.tickers = {"SPY"};
  auto spy_only = run({"2025-01-13", "2025-01-17"});
  config_.sources.news.tickers = {"SPY", "QQQ", "AAPL"};
  config_.sources.news.page_limit = 3;  // many pages per stream, pulled in lockstep
  auto several = run({"2025-01-13", "2025-01-17"});
  ASSERT_EQ(spy_only.days.size(), 5u);
  ASSERT_EQ(several.days.size(), 5u);
  std::uint64_t duplicates = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_TRUE(several.days[i].ok) << several.days[i].error;
    // Every simulated article is tagged SPY: the other tickers only add copies.
    EXPECT_EQ(several.days[i].rows, spy_only.days[i].rows);
    duplicates += several.days[i].duplicates;
  }
  EXPECT_GT(duplicates, 0u);
  EXPECT_EQ(reader_.query_int("SELECT count(*) - count(DISTINCT id) FROM " + all_files()), 0);
  EXPECT_GT(reader_.query_int("SELECT count(*) FROM " + all_files() + " WHERE sentiment_qqq IS NOT NULL"), 0);
  EXPECT_GT(reader_.query_int("SELECT count(*) FROM " + all_files() + " WHERE sentiment_qqq IS NULL"), 0);
  EXPECT_GT(reader_.query_int("SELECT count(*) FROM " + all_files() + " WHERE len(insights) > 1"), 0);
}

TEST_F(NewsBackfillTest, RelevanceFilterAppliesAndEmptyDaysGetAnEmptyPartition) {
  start({});
  config_.sources.news.relevance_tickers = {"NVDA"};
  config_.sources.news.relevance_keywords = {"no article mentions this"};
  auto s = run({"2025-01-14", "2025-01-16"});
  ASSERT_EQ(s.days.size(), 3u);
  std::uint64_t total = 0;
  for (const auto& d : s.days) {
    EXPECT_TRUE(d.ok);
    EXPECT_TRUE(fs::exists(file(format_date(d.date))));
    total += d.rows;
  }
  EXPECT_LT(total, 3u * 4u);
  EXPECT_EQ(reader_.query_int("SELECT count(*) FROM " + all_files() + " WHERE NOT list_contains(tickers, 'NVDA')"), 0);

  config_.sources.news.relevance_tickers = {};
  config_.sources.news.relevance_keywords = {"nothing at all matches this"};
  auto none = run({"2025-01-14"});
  ASSERT_EQ(none.days.size(), 1u);
  EXPECT_TRUE(none.days[0].ok);
  EXPECT_EQ(none.days[0].rows, 0u);
  EXPECT_EQ(rows_in("2025-01-14"), 0);
}

TEST_F(NewsBackfillTest, RerunReplacesTheDay) {
  start({});
  auto first = run({"2025-01-18"}, "run-1");
  auto second = run({"2025-01-18"}, "run-2");
  ASSERT_EQ(second.days.size(), 1u);
  EXPECT_EQ(first.days[0].rows, second.days[0].rows);
  EXPECT_EQ(static_cast<std::uint64_t>(rows_in("2025-01-18")), second.days[0].rows);
  EXPECT_EQ(reader_.query_int("SELECT count(*) FROM " + all_files() + " WHERE run_id = 'run-1'"), 0);
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(file("2025-01-18").parent_path())) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
}

TEST_F(NewsBackfillTest, BadRecordsAreQuarantinedAndTheDayIsStored) {
  start({"bad_record:path=/v2/reference/news", "new_field:path=/v2/reference/news"});
  config_.sources.news.page_limit = 4;
  auto s = run({"2025-01-16", "2025-01-17"});
  ASSERT_EQ(s.days.size(), 2u);
  EXPECT_TRUE(s.days[0].ok) << s.days[0].error;
  EXPECT_TRUE(s.days[1].ok) << s.days[1].error;
  EXPECT_GT(s.rejects(), 0u);
  EXPECT_EQ(quarantine_->total(), s.rejects());
  EXPECT_GT(s.rows(), 0u);
  quarantine_->flush();
  bool any_file = false;
  for (const auto& d : s.days)
    if (d.rejects) any_file = any_file || fs::exists(quarantine_->partition_file("news", d.date));
  EXPECT_TRUE(any_file);
  EXPECT_GE(errors_.count(ErrorCategory::validation), 1u);
  EXPECT_GE(alerts_, 1);  // drift: zz_sim_new_field
  EXPECT_GT(drift_->count("news", "results[].zz_sim_new_field", DriftKind::unknown_field), 0u);
}

TEST_F(NewsBackfillTest, UnparseablePagesAreRefetched) {
  start({"malformed:first=1:path=/v2/reference/news", "truncate:first=1:path=/v2/reference/news"});
  auto s = run({"2025-01-17"});
  ASSERT_EQ(s.days.size(), 1u);
  EXPECT_TRUE(s.days[0].ok) << s.days[0].error;
  EXPECT_GE(s.days[0].rows, 4u);
}

TEST_F(NewsBackfillTest, StreamFailureFailsOnlyTheDatesItHadNotCovered) {
  start({"server_error:status=500:every=4:path=/v2/reference/news"});
  config_.retry.max_attempts = 1;
  client_ = std::make_unique<RestClient>(server_->base_url(), "news-test-key-1234", config_.retry);
  config_.sources.news.page_limit = 5;
  auto s = run({"2025-01-13", "2025-01-19"});
  ASSERT_EQ(s.days.size(), 7u);
  EXPECT_TRUE(s.days.front().ok) << s.days.front().error;
  EXPECT_FALSE(s.days.back().ok);
  EXPECT_NE(s.days.back().error.find("500"), std::string::npos) << s.days.back().error;
  EXPECT_EQ(s.days_skipped, 0u);
  EXPECT_EQ(errors_.count(ErrorCategory::server), 1u);
  for (const auto& d : s.days) EXPECT_EQ(fs::exists(file(format_date(d.date))), d.ok) << format_date(d.date);
}

TEST_F(NewsBackfillTest, AuthFailureStopsTheRun) {
  start({}, "some-other-key");
  auto s = run({"2025-01-15", "2025-01-17"});
  ASSERT_EQ(s.days.size(), 1u);
  EXPECT_FALSE(s.days[0].ok);
  EXPECT_EQ(s.days_skipped, 2u);
  EXPECT_EQ(s.failed_days(), 3u);
  EXPECT_EQ(errors_.count(ErrorCategory::auth), 1u);
}

}  // namespace
}  // namespace soi
