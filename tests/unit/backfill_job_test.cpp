// The backfill loop against an in-process simulator with a recording sink:
// pagination, page refetch, quarantine, drift, session windows, fatal auth.
#include "orchestrator/backfill_job.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <thread>

#include "data_sources/market_status_client.hpp"
#include "simulator/http_server.hpp"
#include "sinks/duckdb/consolidated_duckdb_sink.hpp"
#include "sinks/duckdb/duckdb_session.hpp"
#include "sinks/parquet/parquet_sink.hpp"
#include "sinks/store/local_store.hpp"
#include "support/faulty_store.hpp"
#include "utils/redact.hpp"

namespace soi {
namespace {

namespace fs = std::filesystem;

class RecordingSink : public Sink {
 public:
  std::string_view name() const override { return "recording"; }
  using Sink::write;
  PartitionWriteResult write(const Partition& p, const RunInfo&) override {
    if (p.dataset != &bars_dataset() && p.dataset != &option_bars_dataset())
      throw SoiError(ErrorCategory::storage, "unexpected " + std::string(p.dataset->name()) + " partition");
    const auto start = std::chrono::steady_clock::now();
    if (delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    PartitionWriteResult r{"recording", std::string(p.name), format_date(p.date), "memory"};
    for (const auto& t : p.bars) {
      days.push_back(t);
      r.rows += t.bars.size();
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
  }
  std::vector<BarDay> days;
  int delay_ms = 0;
};

class BackfillJobTest : public ::testing::Test {
 protected:
  void start(std::vector<std::string> faults, std::string key = "") {
    sim::SimulatorOptions options;
    options.config.faults = std::move(faults);
    options.api_key = std::move(key);
    server_ = std::make_unique<sim::SimulatorServer>(options);
    server_->start();
    dir_ = fs::temp_directory_path() / ("soi-backfill-job-" + std::to_string(std::random_device{}()));
    config_.retry.initial_backoff_ms = 1;
    config_.retry.max_backoff_ms = 2;
    config_.settings.data_dir = dir_.string();
    client_ = std::make_unique<RestClient>(server_->base_url(), "job-test-key-1234", config_.retry);
    client_->set_sleeper([](int) {});
    manifest_ = std::make_unique<RunManifest>(dir_.string(), "run-1", "test", 0);
    quarantine_ = std::make_unique<QuarantineWriter>(dir_.string());
    drift_ = std::make_unique<SchemaDriftTracker>(dir_.string(), [this](const DriftAlert&) { ++alerts_; });
  }
  // in_flight > 0: sources.max_days_in_flight, with worker clients of the server's host.
  // sinks: the run's sinks (default: sinks_, one RecordingSink).
  BackfillSummary run(const std::vector<std::string>& dates, int page_limit = 50000, int in_flight = 0,
                      SinkSet* sinks = nullptr) {
    std::function<RestClient&()> worker_client;
    if (in_flight > 0) {
      config_.sources.max_days_in_flight = in_flight;
      worker_client = [this]() -> RestClient& {
        workers_.push_back(std::make_unique<RestClient>(server_->base_url(), "job-test-key-1234", config_.retry));
        workers_.back()->set_sleeper([](int) {});
        return *workers_.back();
      };
    }
    BackfillJob job(BackfillServices{config_, *client_, calendar_, sinks ? *sinks : sinks_, *manifest_, *quarantine_, *drift_, errors_,
                                     RunInfo{"run-1", 0}},
                    worker_client);
    std::vector<Date> days;
    for (const auto& d : dates) days.push_back(*parse_date(d));
    return job.run(BarFeedSpec{"spy", "SPY", AggsShape::equity, page_limit, true, "spy_bars"}, days, nullptr);
  }
  void TearDown() override {
    quarantine_.reset();
    if (server_) server_->stop();
    fs::remove_all(dir_);
    clear_secrets();
  }

  Config config_;
  MarketCalendar calendar_;
  static RecordingSink& add_recording_sink(SinkSet& set) {
    set.add(std::make_unique<RecordingSink>());
    return static_cast<RecordingSink&>(set.at(0));
  }
  SinkSet sinks_;
  RecordingSink& sink_ = add_recording_sink(sinks_);
  ErrorSummary errors_;
  int alerts_ = 0;
  fs::path dir_;
  std::unique_ptr<sim::SimulatorServer> server_;
  std::unique_ptr<RestClient> client_;
  std::vector<std::unique_ptr<RestClient>> workers_;
  std::unique_ptr<RunManifest> manifest_;
  std::unique_ptr<QuarantineWriter> quarantine_;
  std::unique_ptr<SchemaDriftTracker> drift_;
};

TEST_F(BackfillJobTest, SmallPagesGiveTheSameDayAsOnePage) {
  start({});
  auto one = run({"2025-01-17"});
  auto many = run({"2025-01-17"}, 1000);
  ASSERT_EQ(sink_.days.size(), 2u);
  EXPECT_EQ(one.days[0].pages, 1u);
  EXPECT_GT(many.days[0].pages, 20u);
  ASSERT_EQ(sink_.days[0].bars.size(), sink_.days[1].bars.size());
  for (std::size_t i = 0; i < sink_.days[0].bars.size(); ++i) {
    EXPECT_EQ(sink_.days[0].bars[i].ts_ms, sink_.days[1].bars[i].ts_ms);
    EXPECT_EQ(sink_.days[0].bars[i].close, sink_.days[1].bars[i].close);
  }
  EXPECT_EQ(many.days[0].duplicates, 0u);
}

TEST_F(BackfillJobTest, BarsStayInsideTheSessionIncludingEarlyCloses) {
  start({});
  run({"2025-11-28"});  // early close at 13:00
  ASSERT_EQ(sink_.days.size(), 1u);
  const auto& bars = sink_.days[0].bars;
  ASSERT_FALSE(bars.empty());
  EXPECT_GE(ny_minutes_of_day(bars.front().ts_ms), 9 * 60 + 30);
  EXPECT_LT(ny_minutes_of_day(bars.back().ts_ms), 13 * 60);
}

TEST_F(BackfillJobTest, UnparseablePagesAreRefetched) {
  start({"malformed:first=1:path=/v2/aggs", "truncate:first=1:path=/v2/aggs"});
  auto s = run({"2025-01-17"});
  ASSERT_EQ(s.days.size(), 1u);
  EXPECT_TRUE(s.days[0].ok) << s.days[0].error;
  EXPECT_GT(s.days[0].rows, 20000u);
}

TEST_F(BackfillJobTest, BadRecordsAreQuarantinedAndDriftAlertsOncePerDay) {
  start({"bad_record:path=/v2/aggs", "new_field:path=/v2/aggs"});
  auto s = run({"2025-01-16", "2025-01-17"}, 5000);
  ASSERT_EQ(s.days.size(), 2u);
  EXPECT_EQ(s.days[0].rejects, s.days[0].pages);  // one bad bar per page
  EXPECT_EQ(quarantine_->total(), s.rejects());
  EXPECT_EQ(alerts_, 2);  // one per source per day, not per record or page
  EXPECT_EQ(errors_.count(ErrorCategory::validation), 2u);
}

TEST_F(BackfillJobTest, FailedDayIsRecordedAndTheRunGoesOn) {
  start({"server_error:status=500:first=3:path=/v2/aggs"});
  auto s = run({"2025-01-16", "2025-01-17"});
  ASSERT_EQ(s.days.size(), 2u);
  EXPECT_FALSE(s.days[0].ok);
  EXPECT_TRUE(s.days[1].ok);
  EXPECT_EQ(s.failed_days(), 1u);
  EXPECT_EQ(errors_.count(ErrorCategory::server), 1u);
}

TEST_F(BackfillJobTest, AuthFailureStopsTheRun) {
  start({}, "some-other-key");
  auto s = run({"2025-01-15", "2025-01-16", "2025-01-17"});
  EXPECT_EQ(s.days.size(), 1u);
  EXPECT_EQ(s.days_skipped, 2u);
  EXPECT_EQ(errors_.count(ErrorCategory::auth), 1u);
}

// The aggregates path of day d's session (what a fault's path= matches to hit one day).
std::string session_path(const Config& config, const MarketCalendar& calendar, const std::string& day) {
  const BarWindow w = configured_session_window(config, calendar, *parse_date(day));
  return "/v2/aggs/ticker/SPY/range/1/second/" + std::to_string(w.from_ms) + "/";
}

const std::vector<std::string> kEightDays = {"2025-01-06", "2025-01-07", "2025-01-08", "2025-01-09",
                                             "2025-01-10", "2025-01-13", "2025-01-14", "2025-01-15"};

TEST_F(BackfillJobTest, DaysInFlightAreStoredInDateOrderLikeASequentialRun) {
  start({});
  const auto sequential = run(kEightDays, 5000, 1);
  const std::vector<BarDay> one_at_a_time = std::move(sink_.days);
  sink_.days.clear();
  const auto parallel = run(kEightDays, 5000, 4);
  EXPECT_EQ(workers_.size(), 4u);  // one client per day in flight, the main client is the committer's
  ASSERT_EQ(parallel.days.size(), kEightDays.size());
  ASSERT_EQ(sink_.days.size(), one_at_a_time.size());
  for (std::size_t i = 0; i < kEightDays.size(); ++i) {
    EXPECT_EQ(format_date(parallel.days[i].date), kEightDays[i]);
    EXPECT_TRUE(parallel.days[i].ok) << parallel.days[i].error;
    EXPECT_EQ(parallel.days[i].rows, sequential.days[i].rows);
    EXPECT_EQ(format_date(sink_.days[i].date), kEightDays[i]);  // committed in date order
    ASSERT_EQ(sink_.days[i].bars.size(), one_at_a_time[i].bars.size());
    for (std::size_t b = 0; b < sink_.days[i].bars.size(); ++b) {
      ASSERT_EQ(sink_.days[i].bars[b].ts_ms, one_at_a_time[i].bars[b].ts_ms);
      ASSERT_EQ(sink_.days[i].bars[b].close, one_at_a_time[i].bars[b].close);
    }
  }
  // The manifest has one entry per day per run, in date order.
  const auto partitions = manifest_->partitions();
  ASSERT_EQ(partitions.size(), 2 * kEightDays.size());
  for (std::size_t i = 0; i < kEightDays.size(); ++i) EXPECT_EQ(partitions[kEightDays.size() + i].date, kEightDays[i]);
}

TEST_F(BackfillJobTest, DriftWithDaysInFlightStillAlertsOncePerDay) {
  // Pages of several days arrive interleaved; the tracker must still see one day after another.
  start({"new_field:path=/v2/aggs"});
  run(kEightDays, 5000, 4);
  EXPECT_EQ(alerts_, static_cast<int>(kEightDays.size()));
}

TEST_F(BackfillJobTest, AFailedDayInFlightIsRecordedAndTheOthersAreKept) {
  config_.retry.max_attempts = 2;
  start({"server_error:status=500:path=" + session_path(config_, calendar_, "2025-01-09")});
  const auto s = run(kEightDays, 50000, 4);
  ASSERT_EQ(s.days.size(), kEightDays.size());
  for (std::size_t i = 0; i < kEightDays.size(); ++i)
    EXPECT_EQ(s.days[i].ok, kEightDays[i] != "2025-01-09") << kEightDays[i] << ": " << s.days[i].error;
  EXPECT_EQ(s.failed_days(), 1u);
  EXPECT_EQ(s.days_skipped, 0u);
  EXPECT_EQ(sink_.days.size(), kEightDays.size() - 1);
  EXPECT_EQ(errors_.count(ErrorCategory::server), 1u);
}

TEST_F(BackfillJobTest, AnAuthFailureWithDaysInFlightStopsTheRun) {
  start({}, "some-other-key");
  const auto s = run(kEightDays, 50000, 4);
  EXPECT_EQ(s.days.size(), 1u);
  EXPECT_TRUE(s.stopped_on_auth);
  EXPECT_EQ(s.days_skipped, kEightDays.size() - 1);
  EXPECT_EQ(errors_.count(ErrorCategory::auth), 1u);  // the days in flight are dropped, not each reported
  EXPECT_TRUE(sink_.days.empty());
}

// Sinks opened in the background that cannot be opened stop the run at the
// first commit, with their own error: no day could be stored, so failing each
// day in turn would only bury it.
TEST_F(BackfillJobTest, SinksThatCannotBeOpenedStopTheRunAtTheFirstCommit) {
  start({});
  SinkSet unopenable;
  unopenable.open_in_background([]() -> std::vector<std::unique_ptr<Sink>> {
    throw SoiError(ErrorCategory::storage, "cannot open market.duckdb: Conflicting lock is held");
  });
  try {
    run({"2025-01-13", "2025-01-14", "2025-01-15", "2025-01-16"}, 50000, 4, &unopenable);
    FAIL() << "the run went on without its sinks";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
    EXPECT_NE(std::string(e.what()).find("Conflicting lock"), std::string::npos) << e.what();
  }
  EXPECT_EQ(errors_.total(), 0u) << "recorded as failed days";
}

TEST_F(BackfillJobTest, SlowCommitRaisesAnAlertButKeepsTheDay) {
  start({});
  config_.settings.commit_alert_seconds = 1;
  sink_.delay_ms = 1100;
  auto s = run({"2025-01-17"});
  ASSERT_EQ(s.days.size(), 1u);
  EXPECT_TRUE(s.days[0].ok);
  EXPECT_GT(s.days[0].commit_seconds, 1.0);
  ASSERT_EQ(errors_.count(ErrorCategory::storage), 1u);
  EXPECT_NE(errors_.entries().at({"storage", "spy"}).example.find("ALERT slow commit"), std::string::npos);
}

TEST_F(BackfillJobTest, UpcomingHolidaysFromTheApiExtendTheCalendar) {
  auto rows = parse_upcoming_holidays(R"([{"exchange":"NYSE","name":"Thanksgiving","date":"2025-11-27","status":"closed"},
 {"exchange":"NASDAQ","name":"Thanksgiving","date":"2025-11-27","status":"closed"},
 {"exchange":"NYSE","name":"Thanksgiving","date":"2025-11-28","status":"early-close","open":"2025-11-28T14:30:00.000Z","close":"2025-11-28T18:00:00.000Z"}])");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(rows[0].closed);
  EXPECT_FALSE(rows[1].closed);
  EXPECT_EQ(rows[1].open_minute, 570);
  EXPECT_EQ(rows[1].close_minute, 780);
  EXPECT_THROW(parse_upcoming_holidays("{}"), SoiError);
}

// The Parquet sink's store failing is a value, not the end of the run: the
// DuckDB sink still gets the day, the day counts as failed with an error that
// names the partition, the error summary records it, the manifest lists only
// what was written, and the next day commits normally. No REST: the days are
// committed through the job's shared commit, as every feed's job does.
TEST(BackfillCommit, AFailingPartitionStoreFailsTheDayButNotTheOtherSinks) {
  const fs::path dir = fs::temp_directory_path() / ("soi-backfill-store-" + std::to_string(std::random_device{}()));
  Config config;
  config.settings.data_dir = dir.string();
  const Date first = *parse_date("2025-01-16");
  const Date second = *parse_date("2025-01-17");
  auto store = std::make_shared<test::FaultyStore>(std::make_shared<LocalStore>(dir), test::StoreFaults{.fail_put = 1});
  auto sinks = std::make_unique<SinkSet>();
  sinks->add(std::make_unique<ParquetSink>(store, ParquetSinkConfig{}));
  // Tables: a sink that does not read the Parquet files (a view of them would
  // not be updated when their commit fails).
  sinks->add(std::make_unique<ConsolidatedDuckDbSink>(dir.string(), DuckDbSinkConfig{.layout = "tables"},
                                                      std::vector<std::string>{}, 1));
  RestClient client("http://127.0.0.1:9", "job-test-key-1234", config.retry);  // never called
  MarketCalendar calendar;
  RunManifest manifest(dir.string(), "run-1", "test", 0);
  QuarantineWriter quarantine(dir.string());
  SchemaDriftTracker drift(dir.string());
  ErrorSummary errors;
  BackfillJob job(BackfillServices{config, client, calendar, *sinks, manifest, quarantine, drift, errors,
                                   RunInfo{"run-1", 0}});

  const BackfillSummary summary = job.run_days("spy", {first, second}, nullptr, [&](Date d) {
    const BarWindow session = job.session_window(d);
    BarDay day;
    day.feed = "spy";
    day.ticker = "SPY";
    day.date = d;
    for (int i = 0; i < 3; ++i) {
      Bar b;
      b.ts_ms = session.from_ms + i * 1000;
      b.open = b.high = b.low = b.close = 590 + i;
      b.volume = 100;
      b.fields = kBarHasVolume;
      day.bars.push_back(b);
    }
    DayOutcome out;
    out.date = d;
    out.ok = job.commit(BarPartition{"spy", d, std::span<const BarDay>(&day, 1), session.from_ms, session.to_ms, "spy_bars"}, "spy",
                        ErrorContext{"spy", "SPY", format_date(d), ""}, out);
    return out;
  });

  ASSERT_EQ(summary.days.size(), 2u);
  EXPECT_FALSE(summary.days[0].ok);
  EXPECT_NE(summary.days[0].error.find("raw/spy/date=2025-01-16/data.parquet"), std::string::npos)
      << summary.days[0].error;
  EXPECT_NE(summary.days[0].error.find("injected put failure"), std::string::npos) << summary.days[0].error;
  EXPECT_TRUE(summary.days[1].ok) << summary.days[1].error;
  EXPECT_EQ(summary.days[1].location, store->location(partition_key("spy", second)));
  EXPECT_EQ(summary.failed_days(), 1u);
  EXPECT_EQ(errors.count(ErrorCategory::storage), 1u);
  const auto entries = errors.entries();
  const auto entry = entries.find({"storage", "spy"});
  ASSERT_NE(entry, entries.end());
  EXPECT_NE(entry->second.example.find("raw/spy/date=2025-01-16/data.parquet"), std::string::npos)
      << entry->second.example;

  std::vector<std::pair<std::string, std::string>> written;  // (sink, date) in commit order
  for (const auto& p : manifest.partitions()) written.emplace_back(p.sink, p.date);
  EXPECT_EQ(written, (std::vector<std::pair<std::string, std::string>>{
                         {"duckdb", "2025-01-16"}, {"parquet", "2025-01-17"}, {"duckdb", "2025-01-17"}}));
  EXPECT_EQ(stored_days(*store, "spy"), std::vector<Date>{second});
  // The manifest names what failed, sink by sink, and the failed day's report
  // does not borrow another sink's location as the record of the day.
  const std::vector<PartitionFailure> failed = manifest.failures();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].sink, "parquet");
  EXPECT_EQ(failed[0].feed, "spy");
  EXPECT_EQ(failed[0].date, "2025-01-16");
  EXPECT_EQ(failed[0].category, "storage");
  EXPECT_NE(failed[0].error.find("injected put failure"), std::string::npos) << failed[0].error;
  EXPECT_EQ(summary.days[0].location, "");
  const std::string document = manifest.to_json(RunStatus::partial, 0, false);
  EXPECT_NE(document.find("\"failures\":[{\"sink\":\"parquet\",\"feed\":\"spy\",\"date\":\"2025-01-16\""),
            std::string::npos)
      << document;

  sinks.reset();  // DuckDB: one writer; read the database once the sink closed it
  {
    DuckDbSession db(ConsolidatedDuckDbSink::default_path(dir.string()).string(), 1, true);
    EXPECT_EQ(db.query_int("SELECT count(*) FROM spy_bars WHERE date = DATE '2025-01-16'"), 3);
    EXPECT_EQ(db.query_int("SELECT count(*) FROM spy_bars WHERE date = DATE '2025-01-17'"), 3);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace soi
