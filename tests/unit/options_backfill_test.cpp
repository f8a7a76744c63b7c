// Options backfill against an in-process simulator: the open and its fallback,
// the universe around it, bars of universe contracts only, retries on contract
// pages, the worker pool, fatal auth, and the Parquet files it leaves.
#include "orchestrator/options_backfill.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "simulator/http_server.hpp"
#include "sinks/duckdb/duckdb_session.hpp"
#include "sinks/parquet/parquet_sink.hpp"
#include "sinks/store/local_store.hpp"
#include "utils/redact.hpp"

namespace soi {
namespace {

namespace fs = std::filesystem;

class RecordingSink : public Sink {
 public:
  std::string_view name() const override { return "recording"; }
  using Sink::write;
  PartitionWriteResult write(const Partition& p, const RunInfo&) override {
    std::lock_guard lock(mutex);
    if (p.dataset == &options_contracts_dataset()) {
      events.push_back("contracts " + format_date(p.date));
      universes.push_back(*p.universe);
      return PartitionWriteResult{"recording", "options_contracts", format_date(p.date), "memory",
                                  p.universe->contracts.size()};
    }
    if (p.dataset != &bars_dataset() && p.dataset != &option_bars_dataset())
      throw SoiError(ErrorCategory::storage, "unexpected " + std::string(p.dataset->name()) + " partition");
    events.push_back("bars " + format_date(p.date));
    feeds.insert(std::string(p.name));
    PartitionWriteResult r{"recording", std::string(p.name), format_date(p.date), "memory"};
    for (const auto& t : p.bars) {
      days.push_back(t);
      r.rows += t.bars.size();
    }
    return r;
  }
  std::mutex mutex;
  std::vector<std::string> events;
  std::set<std::string> feeds;
  std::vector<BarDay> days;
  std::vector<OptionsUniverse> universes;
};

class OptionsBackfillTest : public ::testing::Test {
 protected:
  void start(std::vector<std::string> faults, std::string key = "", std::function<std::int64_t()> clock = {}) {
    sim::SimulatorOptions options;
    options.config.faults = std::move(faults);
    options.api_key = std::move(key);
    options.clock = std::move(clock);
    server_ = std::make_unique<sim::SimulatorServer>(options);
    server_->start();
    dir_ = fs::temp_directory_path() / ("soi-options-job-" + std::to_string(std::random_device{}()));
    config_.retry.initial_backoff_ms = 1;
    config_.retry.max_backoff_ms = 2;
    config_.settings.data_dir = dir_.string();
    client_ = new_client();
    manifest_ = std::make_unique<RunManifest>(dir_.string(), "run-1", "test", 0);
    quarantine_ = std::make_unique<QuarantineWriter>(dir_.string());
    drift_ = std::make_unique<SchemaDriftTracker>(dir_.string(), [this](const DriftAlert&) { ++alerts_; });
  }
  std::unique_ptr<RestClient> new_client() {
    auto client = std::make_unique<RestClient>(server_->base_url(), "options-test-key-1234", config_.retry);
    client->set_sleeper([](int) {});
    return client;
  }
  BackfillSummary run(const std::vector<std::string>& dates, SinkSet& sinks,
                      OptionsBackfillJob::TrackedContracts tracked = {}) {
    OptionsBackfillJob job(BackfillServices{config_, *client_, calendar_, sinks, *manifest_, *quarantine_, *drift_,
                                            errors_, RunInfo{"run-1", 0}},
                           [this]() -> RestClient& {
                             ++worker_calls_;
                             workers_.push_back(new_client());
                             return *workers_.back();
                           },
                           "option_bars");
    if (tracked) job.keep_tracked_contracts(std::move(tracked));
    std::vector<Date> days;
    for (const auto& d : dates) days.push_back(*parse_date(d));
    BackfillSummary summary = job.run(days, nullptr);
    universes_ = job.universes();
    return summary;
  }
  BackfillSummary run(const std::vector<std::string>& dates) { return run(dates, sinks_); }
  double official_open(const std::string& date) {
    auto r = client_->get("/v1/open-close/SPY/" + date + "?adjusted=true", {});
    return *parse_open_close_open(r.body);
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
  std::atomic<int> alerts_{0};
  int worker_calls_ = 0;
  fs::path dir_;
  std::unique_ptr<sim::SimulatorServer> server_;
  std::unique_ptr<RestClient> client_;
  std::vector<std::unique_ptr<RestClient>> workers_;
  std::unique_ptr<RunManifest> manifest_;
  std::unique_ptr<QuarantineWriter> quarantine_;
  std::unique_ptr<SchemaDriftTracker> drift_;
  std::vector<OptionsUniverse> universes_;
};

TEST_F(OptionsBackfillTest, UniverseIsWithinTheBandOfTheOfficialOpenAndBarsBelongToIt) {
  start({});
  const auto s = run({"2025-01-17"});
  ASSERT_EQ(s.days.size(), 1u);
  EXPECT_EQ(s.feed, "options");
  ASSERT_TRUE(s.days[0].ok) << s.days[0].error;
  ASSERT_EQ(universes_.size(), 1u);
  const OptionsUniverse& u = universes_[0];
  const double open = official_open("2025-01-17");
  EXPECT_DOUBLE_EQ(u.open, open);
  EXPECT_EQ(u.open_source, OpenSource::open_close);
  EXPECT_DOUBLE_EQ(u.strike_low, open * 0.99);
  EXPECT_DOUBLE_EQ(u.strike_high, open * 1.01);
  ASSERT_GE(u.contracts.size(), 10u);
  std::set<std::string> expirations;
  std::map<std::string, OptionContract> by_ticker;
  for (const auto& c : u.contracts) {
    EXPECT_GE(c.strike, open * 0.99);
    EXPECT_LE(c.strike, open * 1.01);
    expirations.insert(format_date(c.expiration));
    by_ticker[c.ticker] = c;
  }
  EXPECT_EQ(expirations, std::set<std::string>{"2025-01-17"});  // count = 1: the day's own expiration
  EXPECT_EQ(by_ticker.size(), u.contracts.size());

  // The universe went to the sinks before the bars, each once.
  EXPECT_EQ(sink_.events, (std::vector<std::string>{"contracts 2025-01-17", "bars 2025-01-17"}));
  EXPECT_EQ(sink_.feeds, std::set<std::string>{"options"});
  ASSERT_EQ(sink_.universes.size(), 1u);
  EXPECT_EQ(sink_.universes[0].contracts.size(), u.contracts.size());

  // Every stored bar belongs to a universe contract; sparse, inside the session.
  ASSERT_FALSE(sink_.days.empty());
  std::uint64_t rows = 0;
  const std::int64_t open_ms = ny_wall_to_utc_ms(*parse_date("2025-01-17"), 9 * 60 + 30);
  const std::int64_t close_ms = ny_wall_to_utc_ms(*parse_date("2025-01-17"), 16 * 60);
  for (const auto& day : sink_.days) {
    ASSERT_TRUE(by_ticker.count(day.ticker)) << day.ticker;
    ASSERT_TRUE(day.contract.has_value());
    EXPECT_EQ(day.contract->ticker, day.ticker);
    EXPECT_EQ(day.contract->strike, by_ticker[day.ticker].strike);
    EXPECT_EQ(day.feed, "options");
    EXPECT_FALSE(day.bars.empty());
    EXPECT_LT(day.bars.size(), 23400u);
    for (std::size_t i = 0; i < day.bars.size(); ++i) {
      EXPECT_GE(day.bars[i].ts_ms, open_ms);
      EXPECT_LT(day.bars[i].ts_ms, close_ms);
      if (i) {
        EXPECT_GT(day.bars[i].ts_ms, day.bars[i - 1].ts_ms);
      }
    }
    rows += day.bars.size();
  }
  EXPECT_EQ(s.days[0].rows, rows);
  EXPECT_GE(s.days[0].pages, sink_.days.size());
  EXPECT_LE(worker_calls_, config_.sources.options.max_in_flight);
  EXPECT_GE(worker_calls_, 2);
  EXPECT_EQ(errors_.total(), 0u);
}

TEST_F(OptionsBackfillTest, DaysInFlightStoreWhatADayAtATimeStoresInDateOrder) {
  start({});
  const std::vector<std::string> days = {"2025-01-13", "2025-01-14", "2025-01-15", "2025-01-16", "2025-01-17"};
  config_.sources.options.max_in_flight = 2;
  config_.sources.max_days_in_flight = 1;
  const auto sequential = run(days);
  const std::vector<BarDay> one_at_a_time = std::move(sink_.days);
  const std::vector<OptionsUniverse> sequential_universes = universes_;
  sink_.days.clear();
  sink_.events.clear();
  worker_calls_ = 0;
  config_.sources.max_days_in_flight = 3;
  const auto parallel = run(days);
  // Each day in flight has its own contract workers (and the committer's slot its own).
  EXPECT_LE(worker_calls_, (3 + 1) * 2);
  EXPECT_GT(worker_calls_, 2);
  ASSERT_EQ(parallel.days.size(), days.size());
  std::vector<std::string> expected_events;
  for (std::size_t i = 0; i < days.size(); ++i) {
    EXPECT_TRUE(parallel.days[i].ok) << parallel.days[i].error;
    EXPECT_EQ(format_date(parallel.days[i].date), days[i]);
    EXPECT_EQ(parallel.days[i].rows, sequential.days[i].rows);
    expected_events.push_back("contracts " + days[i]);  // each day's universe before its bars, days in order
    expected_events.push_back("bars " + days[i]);
  }
  EXPECT_EQ(sink_.events, expected_events);
  ASSERT_EQ(universes_.size(), sequential_universes.size());
  for (std::size_t i = 0; i < universes_.size(); ++i) {
    EXPECT_EQ(format_date(universes_[i].date), days[i]);
    EXPECT_EQ(universes_[i].contracts.size(), sequential_universes[i].contracts.size());
  }
  ASSERT_EQ(sink_.days.size(), one_at_a_time.size());
  for (std::size_t i = 0; i < sink_.days.size(); ++i) {
    EXPECT_EQ(sink_.days[i].ticker, one_at_a_time[i].ticker);
    EXPECT_EQ(sink_.days[i].bars.size(), one_at_a_time[i].bars.size());
  }
}

TEST_F(OptionsBackfillTest, OpenFallsBackToTheFirstBarWhenOpenCloseIs404) {
  // The first request (open-close) sees the simulator at 09:30:00, before any
  // bar of the day: 404 NOT_FOUND. Every later request sees the real clock.
  auto calls = std::make_shared<std::atomic<int>>(0);
  const std::int64_t session_open = ny_wall_to_utc_ms(*parse_date("2025-01-17"), 9 * 60 + 30);
  start({}, "", [calls, session_open] { return calls->fetch_add(1) == 0 ? session_open : now_utc_ms(); });
  const auto s = run({"2025-01-17"});
  ASSERT_EQ(s.days.size(), 1u);
  ASSERT_TRUE(s.days[0].ok) << s.days[0].error;
  ASSERT_EQ(universes_.size(), 1u);
  EXPECT_EQ(universes_[0].open_source, OpenSource::first_bar);
  // The first session bar's open (the official open is the same price in the simulator).
  EXPECT_NEAR(universes_[0].open, official_open("2025-01-17"), 1e-9);
  EXPECT_FALSE(universes_[0].contracts.empty());
  EXPECT_EQ(errors_.total(), 0u);
}

TEST_F(OptionsBackfillTest, OpenFallsBackWhenOpenCloseKeepsFailing) {
  start({"server_error:status=502:path=/v1/open-close"});
  const auto s = run({"2025-01-17"});
  ASSERT_TRUE(s.days[0].ok) << s.days[0].error;
  EXPECT_EQ(universes_[0].open_source, OpenSource::first_bar);
  EXPECT_GT(universes_[0].open, 0);
}

TEST_F(OptionsBackfillTest, FaultsOnContractPagesAreRetriedAndTheDayCompletes) {
  start({});
  const auto clean = run({"2025-01-17"});
  ASSERT_TRUE(clean.days[0].ok);
  server_->stop();
  fs::remove_all(dir_);
  sink_.days.clear();
  // Concurrent workers make which request of which contract gets a fault vary
  // between runs: the faults are sparse and the retry budget is generous so that
  // no contract can exhaust it (8 faulted attempts in a row).
  config_.retry.max_attempts = 8;
  start({"server_error:status=503:every=8:path=/v2/aggs/ticker/O:", "drop:every=13:path=/v2/aggs/ticker/O:",
         "truncate:every=17:path=/v2/aggs/ticker/O:", "malformed:every=6:path=/v2/aggs/ticker/O:",
         "rate_limit:retry_after=0:first=1:path=/v3/reference/options", "malformed:every=2:path=/v3/reference/options"});
  const auto faulty = run({"2025-01-17"});
  ASSERT_EQ(faulty.days.size(), 1u);
  ASSERT_TRUE(faulty.days[0].ok) << faulty.days[0].error;
  EXPECT_EQ(faulty.days[0].rows, clean.days[0].rows);
  std::uint64_t retries = 0;
  for (const auto& w : workers_) retries += w->stats().retries;
  EXPECT_GT(retries, 0u);
}

TEST_F(OptionsBackfillTest, SmallPagesAndMaxDaysSelection) {
  start({"bad_record:first=2:path=/v2/aggs/ticker/O:"});
  config_.sources.options.expiry_selection = "max_days";
  config_.sources.options.max_days_to_expiry = 7;
  config_.sources.options.strike_range_pct = 0.3;
  config_.sources.options.contracts_page_limit = 7;  // many contract pages
  config_.sources.options.page_limit = 500;          // many bar pages
  config_.sources.options.max_in_flight = 3;
  const auto s = run({"2025-01-17"});
  ASSERT_TRUE(s.days[0].ok) << s.days[0].error;
  std::set<std::string> expirations;
  for (const auto& c : universes_[0].contracts) expirations.insert(format_date(c.expiration));
  // Daily expirations: Fri 17, then Tue 21 .. Fri 24 (Mon 20 is a holiday).
  EXPECT_EQ(expirations, (std::set<std::string>{"2025-01-17", "2025-01-21", "2025-01-22", "2025-01-23", "2025-01-24"}));
  EXPECT_LE(worker_calls_, 3);
  EXPECT_EQ(s.days[0].rejects, 2u);
  EXPECT_EQ(quarantine_->total(), 2u);
}

TEST_F(OptionsBackfillTest, FailedDayIsRecordedAndTheRunGoesOn) {
  // Every contracts listing of the first day fails (502, retries exhausted).
  start({"server_error:status=502:first=3:path=/v3/reference/options"});
  config_.sources.max_days_in_flight = 1;  // "the first 3 listings" are the first day's only one day at a time
  const auto s = run({"2025-01-16", "2025-01-17"});
  ASSERT_EQ(s.days.size(), 2u);
  EXPECT_FALSE(s.days[0].ok);
  EXPECT_TRUE(s.days[1].ok) << s.days[1].error;
  EXPECT_EQ(s.failed_days(), 1u);
  EXPECT_EQ(errors_.count(ErrorCategory::server), 1u);
  EXPECT_EQ(universes_.size(), 1u);
}

// --keep-tracked-contracts: a contract the day already tracks (a stream's
// re-centre) stays in the universe and gets its bars; when the tracked
// contracts cannot be read, the day fails rather than dropping them.
TEST_F(OptionsBackfillTest, TrackedContractsAreKeptAndAnUnreadableListFailsTheDay) {
  start({});
  const auto plain = run({"2025-01-17"});
  ASSERT_TRUE(plain.days[0].ok) << plain.days[0].error;
  const auto band = universes_.at(0).contracts;
  // A listed contract of the chain outside the band: far below the open.
  OptionContract far = band.front();
  far.strike = band.front().strike - 20;
  char ticker[32];
  std::snprintf(ticker, sizeof ticker, "O:SPY%02d%02d%02d%c%08d", static_cast<int>(far.expiration.year()) % 100,
                static_cast<unsigned>(far.expiration.month()), static_cast<unsigned>(far.expiration.day()),
                far.type == ContractType::call ? 'C' : 'P', static_cast<int>(std::lround(far.strike * 1000)));
  far.ticker = ticker;
  const auto kept = run({"2025-01-17"}, sinks_, [&](Date) { return std::vector<OptionContract>{far, band.front()}; });
  ASSERT_TRUE(kept.days[0].ok) << kept.days[0].error;
  const auto& contracts = universes_.at(0).contracts;
  EXPECT_EQ(contracts.size(), band.size() + 1) << "the tracked contract is added once, the band's not twice";
  EXPECT_TRUE(std::is_sorted(contracts.begin(), contracts.end(),
                             [](const OptionContract& a, const OptionContract& b) { return a.ticker < b.ticker; }));
  EXPECT_TRUE(std::any_of(contracts.begin(), contracts.end(), [&](const auto& c) { return c.ticker == far.ticker; }));

  const auto events = sink_.events.size();
  const auto failed = run({"2025-01-17"}, sinks_, [](Date) -> std::vector<OptionContract> {
    throw SoiError(ErrorCategory::storage, "unreadable options_contracts partition");
  });
  EXPECT_FALSE(failed.days[0].ok);
  EXPECT_NE(failed.days[0].error.find("tracked contracts"), std::string::npos) << failed.days[0].error;
  EXPECT_EQ(sink_.events.size(), events) << "nothing replaced";
}

TEST_F(OptionsBackfillTest, AuthFailureStopsTheRun) {
  start({}, "some-other-key");
  const auto s = run({"2025-01-15", "2025-01-16", "2025-01-17"});
  EXPECT_EQ(s.days.size(), 1u);
  EXPECT_EQ(s.days_skipped, 2u);
  EXPECT_EQ(errors_.count(ErrorCategory::auth), 1u);
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(OptionsBackfillTest, ParquetFilesHoldTheUniverseAndTheContractColumns) {
  start({});
  SinkSet sinks;
  sinks.add(std::make_unique<ParquetSink>(std::make_shared<LocalStore>(dir_), ParquetSinkConfig{}));
  const auto s = run({"2025-01-17"}, sinks);
  ASSERT_TRUE(s.days[0].ok) << s.days[0].error;
  const auto& sink = static_cast<ParquetSink&>(sinks.at(0));
  const std::string bars = sink.location("options", *parse_date("2025-01-17"));
  const std::string contracts = sink.location("options_contracts", *parse_date("2025-01-17"));
  DuckDbSession db;
  EXPECT_EQ(db.query_int("SELECT count(*) FROM read_parquet(" + DuckDbSession::quote(contracts) + ")"),
            static_cast<std::int64_t>(universes_[0].contracts.size()));
  EXPECT_EQ(db.query_int("SELECT count(*) FROM read_parquet(" + DuckDbSession::quote(bars) + ")"),
            static_cast<std::int64_t>(s.days[0].rows));
  // Every bar's ticker, strike and expiration match a contract of the day's universe.
  EXPECT_EQ(db.query_int("SELECT count(*) FROM read_parquet(" + DuckDbSession::quote(bars) +
                         ") b ANTI JOIN read_parquet(" + DuckDbSession::quote(contracts) +
                         ") c ON b.ticker = c.ticker AND b.strike = c.strike AND b.expiration = c.expiration "
                         "AND b.contract_type = c.contract_type AND b.underlying = c.underlying"),
            0);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM read_parquet(" + DuckDbSession::quote(contracts) +
                         ") WHERE open_source = 'open_close' AND strike BETWEEN strike_low AND strike_high"),
            static_cast<std::int64_t>(universes_[0].contracts.size()));
}

}  // namespace
}  // namespace soi
