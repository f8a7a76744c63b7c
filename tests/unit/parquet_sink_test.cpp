#include "sinks/parquet/parquet_sink.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "sinks/duckdb/duckdb_session.hpp"
#include "sinks/store/local_store.hpp"
#include "support/faulty_store.hpp"
#include "utils/file_digest.hpp"

namespace soi {
namespace {
namespace fs = std::filesystem;

const Date kDay = *parse_date("2025-01-17");
const std::int64_t kOpenMs = 1737124200000;  // 2025-01-17 09:30 New York

class ParquetSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("soi_parquet_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store_ = std::make_shared<LocalStore>(dir_);
    reader_.execute("SET TimeZone = 'UTC'");
  }
  void TearDown() override { fs::remove_all(dir_); }

  static BarDay day(std::string ticker, int bars, std::uint8_t fields, std::int64_t step_ms = 60000) {
    BarDay d;
    d.feed = "spy";
    d.ticker = std::move(ticker);
    d.date = kDay;
    for (int i = 0; i < bars; ++i) {
      Bar b;
      b.ts_ms = kOpenMs + i * step_ms;
      b.open = 590 + i;
      b.high = 591 + i;
      b.low = 589 + i;
      b.close = 590.5 + i;
      b.volume = fields & kBarHasVolume ? 1000.0 + i : 0;
      b.vwap = fields & kBarHasVwap ? 590.25 + i : 0;
      b.transactions = fields & kBarHasTransactions ? 10 + i : 0;
      b.fields = fields;
      d.bars.push_back(b);
    }
    return d;
  }

  std::string read(const fs::path& file) const {
    return "read_parquet(" + DuckDbSession::quote(file.string()) + ", hive_partitioning = false)";
  }
  std::int64_t count(const fs::path& file, const std::string& where = "true") const {
    return reader_.query_int("SELECT count(*) FROM " + read(file) + " WHERE " + where);
  }
  std::set<std::string> files_in(const fs::path& dir) const {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
    return names;
  }

  fs::path day_file(std::string_view feed, Date date) const { return parquet_partition_file(dir_, feed, date); }

  fs::path dir_;
  std::shared_ptr<LocalStore> store_;
  DuckDbSession reader_;
  RunInfo run_{"20250117T101502Z-3f9a", 0};
};

TEST_F(ParquetSinkTest, WritesHivePartitionWithSchemaNullsAndOrder) {
  ParquetSink sink(store_, ParquetSinkConfig{}, 1);
  BarDay spy = day("SPY", 3, kBarFullFields);
  std::swap(spy.bars[0], spy.bars[2]);  // the file is ordered by (ticker, ts) whatever the input order
  BarDay vix = day("I:VIX", 2, 0);
  std::vector<BarDay> input = {spy, vix};

  const auto result = sink.write_partition("spy", kDay, input, run_);
  const fs::path file = dir_ / "raw/spy/date=2025-01-17/data.parquet";
  EXPECT_EQ(result.location, file.string());
  EXPECT_EQ(result.sink, "parquet");
  EXPECT_EQ(result.feed, "spy");
  EXPECT_EQ(result.date, "2025-01-17");
  EXPECT_EQ(result.rows, 5u);
  EXPECT_EQ(result.bytes, fs::file_size(file));
  EXPECT_EQ(result.sha256, sha256_file_hex(file));
  EXPECT_EQ(result.sha256.size(), 64u);
  EXPECT_GE(result.seconds, 0);

  const auto schema = reader_.query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM " + read(file) + ")");
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"ticker", "VARCHAR"},      {"ts", "TIMESTAMP WITH TIME ZONE"},
      {"open", "DOUBLE"},         {"high", "DOUBLE"},
      {"low", "DOUBLE"},          {"close", "DOUBLE"},
      {"volume", "DOUBLE"},       {"vwap", "DOUBLE"},
      {"transactions", "BIGINT"}, {"ingested_at", "TIMESTAMP WITH TIME ZONE"},
      {"run_id", "VARCHAR"},      {"origin", "VARCHAR"}};
  ASSERT_EQ(schema.size(), expected.size());  // and no `date` column inside the file
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(*schema[i][0], expected[i].first);
    EXPECT_EQ(*schema[i][1], expected[i].second);
  }
  // Parquet logical type is a UTC-adjusted timestamp (pandas -> datetime64[..., UTC]).
  const auto logical = reader_.query("SELECT logical_type FROM parquet_schema(" + DuckDbSession::quote(file.string()) +
                                     ") WHERE name IN ('ts', 'ingested_at')");
  ASSERT_EQ(logical.size(), 2u);
  for (const auto& row : logical) EXPECT_NE(row[0]->find("isAdjustedToUTC=1"), std::string::npos) << *row[0];

  EXPECT_EQ(count(file, "ticker = 'I:VIX' AND volume IS NULL AND vwap IS NULL AND transactions IS NULL"), 2);
  EXPECT_EQ(count(file, "ticker = 'SPY' AND volume IS NOT NULL AND vwap IS NOT NULL AND transactions IS NOT NULL"), 3);
  EXPECT_EQ(count(file, "run_id = '20250117T101502Z-3f9a' AND origin = 'rest'"), 5);
  EXPECT_EQ(count(file, "ingested_at > TIMESTAMPTZ '2024-01-01 00:00:00+00'"), 5);

  const auto rows = reader_.query("SELECT ticker, epoch_ms(ts), close FROM " + read(file));
  ASSERT_EQ(rows.size(), 5u);
  const std::vector<std::pair<std::string, std::int64_t>> order = {{"I:VIX", kOpenMs},
                                                                   {"I:VIX", kOpenMs + 60000},
                                                                   {"SPY", kOpenMs},
                                                                   {"SPY", kOpenMs + 60000},
                                                                   {"SPY", kOpenMs + 120000}};
  for (std::size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ(*rows[i][0], order[i].first);
    EXPECT_EQ(std::stoll(*rows[i][1]), order[i].second);
  }
  EXPECT_EQ(*rows[2][2], "590.5");

  // Read as a hive-partitioned tree: `date` comes from the directory name.
  const auto hive =
      reader_.query("SELECT DISTINCT CAST(date AS VARCHAR) FROM read_parquet(" +
                    DuckDbSession::quote((dir_ / "raw/spy/*/*.parquet").string()) + ", hive_partitioning = true)");
  ASSERT_EQ(hive.size(), 1u);
  EXPECT_EQ(*hive[0][0], "2025-01-17");
}

TEST_F(ParquetSinkTest, ManyChunksKeepNullMasksPerRow) {
  ParquetSink sink(store_, ParquetSinkConfig{}, 1);
  std::vector<BarDay> input;
  for (int t = 0; t < 6; ++t)
    input.push_back(day("T" + std::to_string(t), 1500, t % 2 ? kBarFullFields : kBarHasVolume, 1000));
  const auto result = sink.write_partition("spy", kDay, input, run_);
  EXPECT_EQ(result.rows, 9000u);
  const fs::path file = day_file("spy", kDay);
  EXPECT_EQ(count(file), 9000);
  EXPECT_EQ(count(file, "volume IS NULL"), 0);
  EXPECT_EQ(count(file, "vwap IS NULL"), 4500);
  EXPECT_EQ(count(file, "transactions IS NULL AND ticker IN ('T0', 'T2', 'T4')"), 4500);
  EXPECT_EQ(reader_.query_int("SELECT sum(transactions) FROM " + read(file) + " WHERE ticker = 'T1'"),
            1500 * 10 + 1500 * 1499 / 2);
}

TEST_F(ParquetSinkTest, RewriteReplacesDayAtomicallyWithNoLeftovers) {
  ParquetSink sink(store_, ParquetSinkConfig{}, 1);
  std::vector<BarDay> first = {day("SPY", 5, kBarFullFields)};
  sink.write_partition("spy", kDay, first, run_);
  const fs::path dir = day_file("spy", kDay).parent_path();
  // A stale temp file from an interrupted run and a foreign Parquet file.
  std::ofstream(dir / ".data.parquet.tmp-999-1") << "partial";
  std::ofstream(dir / "part-0001.parquet") << "old layout";

  std::vector<BarDay> second = {day("SPY", 2, kBarFullFields)};
  const auto result = sink.write_partition("spy", kDay, second, run_);
  EXPECT_EQ(files_in(dir), std::set<std::string>{"data.parquet"});
  EXPECT_EQ(count(day_file("spy", kDay)), 2);
  EXPECT_EQ(result.sha256, sha256_file_hex(day_file("spy", kDay)));
}

TEST_F(ParquetSinkTest, EmptySpanWritesEmptyPartition) {
  ParquetSink sink(store_, ParquetSinkConfig{}, 1);
  const auto result = sink.write_partition("vix", kDay, {}, run_);
  EXPECT_EQ(result.rows, 0u);
  EXPECT_GT(result.bytes, 0u);
  EXPECT_EQ(count(day_file("vix", kDay)), 0);
}

TEST_F(ParquetSinkTest, OtherCodecsWrite) {
  for (const char* codec : {"snappy", "gzip", "uncompressed"}) {
    ParquetSinkConfig config;
    config.compression = codec;
    config.row_group_size = 1000;
    ParquetSink sink(store_, config, 1);
    std::vector<BarDay> input = {day("SPY", 2500, kBarFullFields, 1000)};
    sink.write_partition(codec, kDay, input, run_);
    EXPECT_EQ(count(day_file(codec, kDay)), 2500) << codec;
  }
}

// The store decides where the day goes: the sink writes only through it.
TEST_F(ParquetSinkTest, WritesThroughItsStore) {
  auto other = std::make_shared<LocalStore>(dir_ / "elsewhere");
  ParquetSink sink(other, ParquetSinkConfig{}, 1);
  std::vector<BarDay> input = {day("SPY", 3, kBarFullFields)};
  const auto result = sink.write_partition("spy", kDay, input, run_);
  EXPECT_EQ(result.location, other->location("raw/spy/date=2025-01-17/data.parquet"));
  EXPECT_EQ(sink.location("spy", kDay), result.location);
  EXPECT_EQ(other->list("raw/"), std::vector<std::string>{"raw/spy/date=2025-01-17/data.parquet"});
  EXPECT_EQ(other->sha256("raw/spy/date=2025-01-17/data.parquet"), result.sha256);
  EXPECT_FALSE(fs::exists(dir_ / "raw"));
}

// A put that fails (or is torn, as a crash mid-write leaves it) never replaces
// the day: the previous file stays whole and readable, and the error names it.
TEST_F(ParquetSinkTest, FailedOrTornPutKeepsThePreviousDay) {
  for (const bool torn : {false, true}) {
    SCOPED_TRACE(torn ? "torn" : "failed");
    fs::remove_all(dir_ / "raw");
    test::StoreFaults faults;
    (torn ? faults.tear_put : faults.fail_put) = 2;
    auto faulty = std::make_shared<test::FaultyStore>(store_, faults);
    ParquetSink sink(faulty, ParquetSinkConfig{}, 1);
    std::vector<BarDay> first = {day("SPY", 5, kBarFullFields)};
    const auto before = sink.write_partition("spy", kDay, first, run_);
    std::vector<BarDay> second = {day("SPY", 2, kBarFullFields)};
    try {
      sink.write_partition("spy", kDay, second, run_);
      FAIL() << "expected SoiError";
    } catch (const SoiError& e) {
      EXPECT_EQ(e.category(), ErrorCategory::storage);
      EXPECT_NE(e.message().find(day_file("spy", kDay).string()), std::string::npos) << e.message();
      EXPECT_NE(e.message().find("raw/spy/date=2025-01-17/data.parquet"), std::string::npos) << e.message();
      EXPECT_EQ(e.context().source, "spy");
      EXPECT_EQ(e.context().date, "2025-01-17");
    }
    EXPECT_EQ(faulty->failed_puts(), 1u);
    EXPECT_EQ(count(day_file("spy", kDay)), 5);
    EXPECT_EQ(sha256_file_hex(day_file("spy", kDay)), before.sha256);
    // A failed put drops its staging file; a torn one leaves it, as a crash would,
    // and the next write of the day removes it.
    const std::set<std::string> left = files_in(day_file("spy", kDay).parent_path());
    EXPECT_EQ(left.size(), torn ? 2u : 1u);
    EXPECT_TRUE(left.count("data.parquet"));
    EXPECT_EQ(sink.write_partition("spy", kDay, second, run_).rows, 2u);
    EXPECT_EQ(files_in(day_file("spy", kDay).parent_path()), std::set<std::string>{"data.parquet"});
    EXPECT_EQ(count(day_file("spy", kDay)), 2);
  }
}

TEST_F(ParquetSinkTest, UnwritableDirectoryIsStorageErrorWithPath) {
  std::ofstream(dir_ / "not_a_dir") << "x";  // works even as root, unlike chmod
  ParquetSink sink(std::make_shared<LocalStore>(dir_ / "not_a_dir"), ParquetSinkConfig{}, 1);
  std::vector<BarDay> input = {day("SPY", 1, kBarFullFields)};
  try {
    sink.write_partition("spy", kDay, input, run_);
    FAIL() << "expected SoiError";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
    EXPECT_NE(e.message().find((dir_ / "not_a_dir/raw/spy/date=2025-01-17/data.parquet").string()), std::string::npos)
        << e.message();
    EXPECT_EQ(e.context().date, "2025-01-17");
  }
}

TEST_F(ParquetSinkTest, FailedCommitLeavesNoTempFile) {
  ParquetSink sink(store_, ParquetSinkConfig{}, 1);
  // data.parquet is a non-empty directory: the final rename must fail.
  fs::create_directories(day_file("spy", kDay) / "blocker");
  std::vector<BarDay> input = {day("SPY", 1, kBarFullFields)};
  EXPECT_THROW(sink.write_partition("spy", kDay, input, run_), SoiError);
  EXPECT_EQ(files_in(day_file("spy", kDay).parent_path()), std::set<std::string>{"data.parquet"});
  // The sink stays usable after a failure.
  fs::remove_all(day_file("spy", kDay));
  EXPECT_EQ(sink.write_partition("spy", kDay, input, run_).rows, 1u);
}

TEST_F(ParquetSinkTest, RejectsBadConfigAndFeed) {
  ParquetSinkConfig bad;
  bad.compression = "lzo";
  EXPECT_THROW(ParquetSink(store_, bad, 1), SoiError);
  bad.compression = "zstd";
  bad.compression_level = 0;
  EXPECT_THROW(ParquetSink(store_, bad, 1), SoiError);
  ParquetSink sink(store_, ParquetSinkConfig{}, 1);
  EXPECT_THROW(sink.write_partition("../etc", kDay, {}, run_), SoiError);
  EXPECT_THROW(sink.write_partition("", kDay, {}, run_), SoiError);
}

TEST_F(ParquetSinkTest, PresortedInputIsWrittenInTickerOrderAcrossChunks) {
  ParquetSink sink(store_, ParquetSinkConfig{}, 1);
  // Days arrive in no particular ticker order; each day's bars are sorted (the
  // contract), so the sink emits by ticker without a sort in DuckDB.
  std::vector<BarDay> input = {day("O:SPY250117P00580000", 3000, kBarFullFields, 1000), day("I:VIX", 1000, 0, 1000),
                               day("O:SPY250117C00590000", 3000, kBarFullFields, 1000)};
  const auto emits_sorted = [](std::span<const BarDay> days) {
    Partition p;
    p.bars = days;
    return bars_dataset().emits_sorted(p);
  };
  EXPECT_TRUE(emits_sorted(input));
  sink.write_partition("spy", kDay, input, run_);
  const fs::path file = day_file("spy", kDay);
  const auto rows = reader_.query("SELECT ticker, epoch_ms(ts) FROM " + read(file));
  ASSERT_EQ(rows.size(), 7000u);
  std::vector<std::pair<std::string, std::int64_t>> got;
  for (const auto& r : rows) got.emplace_back(*r[0], std::stoll(*r[1]));
  EXPECT_TRUE(std::is_sorted(got.begin(), got.end()));
  EXPECT_EQ(got.front().first, "I:VIX");
  EXPECT_EQ(count(file, "ticker = 'I:VIX' AND volume IS NULL"), 1000);
  EXPECT_EQ(count(file, "ticker <> 'I:VIX' AND volume IS NULL"), 0);
  EXPECT_EQ(count(file, "ticker = 'O:SPY250117P00580000'"), 3000);
  EXPECT_EQ(count(file, "ticker = 'O:SPY250117C00590000'"), 3000);

  BarDay unsorted = day("SPY", 3, kBarFullFields);
  std::swap(unsorted.bars[0], unsorted.bars[1]);
  std::vector<BarDay> bad = {unsorted};
  EXPECT_FALSE(emits_sorted(bad));
  std::vector<BarDay> overlapping = {day("SPY", 3, kBarFullFields), day("SPY", 3, kBarFullFields)};
  EXPECT_FALSE(emits_sorted(overlapping));  // same ticker twice, interleaved ts: ORDER BY path
  sink.write_partition("spy", kDay, overlapping, run_);
  const auto ts = reader_.query("SELECT epoch_ms(ts) FROM " + read(day_file("spy", kDay)));
  ASSERT_EQ(ts.size(), 6u);
  for (std::size_t i = 1; i < ts.size(); ++i) EXPECT_LE(std::stoll(*ts[i - 1][0]), std::stoll(*ts[i][0]));
}

TEST_F(ParquetSinkTest, LongTickersOfEqualLengthKeepTheirOwnValuesWithinAChunk) {
  // Many short days per 2,048-row chunk, tickers longer than DuckDB's 12 inlined
  // bytes and of equal length: each row must carry its own day's ticker.
  ParquetSink sink(store_, ParquetSinkConfig{}, 1);
  std::vector<BarDay> input;
  for (int k = 0; k < 60; ++k)
    input.push_back(day(fmt::format("O:SPY250117C00{:03}000", 500 + k), 30 + k % 7, kBarFullFields, 1000));
  sink.write_partition("spy", kDay, input, run_);
  const auto rows = reader_.query("SELECT ticker, count(*) FROM " + read(day_file("spy", kDay)) +
                                  " GROUP BY ticker ORDER BY ticker");
  ASSERT_EQ(rows.size(), input.size());
  for (std::size_t k = 0; k < input.size(); ++k) {
    EXPECT_EQ(*rows[k][0], input[k].ticker);
    EXPECT_EQ(std::stoul(*rows[k][1]), input[k].bars.size()) << input[k].ticker;
  }
}

// Writers of different days on several threads: each day whole (encoded on
// connections of their own at once, put one by one).
TEST_F(ParquetSinkTest, ConcurrentWritersOfDifferentDaysEachWriteTheirDay) {
  ParquetSink sink(store_, ParquetSinkConfig{}, 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&sink, this, t] {
      std::vector<BarDay> input = {day("SPY", 500 + t, kBarFullFields, 1000)};
      for (int i = 0; i < 3; ++i) sink.write_partition("spy", add_days(kDay, t), input, run_);
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(count(day_file("spy", add_days(kDay, t))), 500 + t);
}

// A backfill's days: encoded on their fetch threads at once, each staged until
// the caller puts them in place in its own order.
TEST_F(ParquetSinkTest, DaysArePreparedAtOnceAndPutInTheCallersOrder) {
  ParquetSink sink(store_, ParquetSinkConfig{}, 1);
  constexpr int kDays = 4;
  std::vector<std::vector<BarDay>> inputs;
  for (int t = 0; t < kDays; ++t) inputs.push_back({day("SPY", 300 + t, kBarFullFields, 1000)});
  auto partition = [&](int t) { return to_partition(BarPartition{"spy", add_days(kDay, t), inputs[t]}); };
  std::vector<std::unique_ptr<Sink::Prepared>> prepared(kDays);
  std::vector<std::thread> threads;
  for (int t = 0; t < kDays; ++t)
    threads.emplace_back([&, t] { prepared[t] = sink.prepare(partition(t), run_); });
  for (auto& th : threads) th.join();
  for (int t = 0; t < kDays; ++t) {
    ASSERT_NE(prepared[t], nullptr);
    EXPECT_FALSE(fs::exists(day_file("spy", add_days(kDay, t)))) << "in place before it was put";
  }
  for (int t = 0; t < kDays; ++t) {
    const PartitionWriteResult r = sink.write_prepared(partition(t), run_, std::move(prepared[t]));
    EXPECT_EQ(r.rows, 300u + t);
    EXPECT_EQ(r.sha256, sha256_file_hex(day_file("spy", add_days(kDay, t))));
    EXPECT_EQ(count(day_file("spy", add_days(kDay, t))), 300 + t);
    EXPECT_EQ(files_in(day_file("spy", add_days(kDay, t)).parent_path()), std::set<std::string>{"data.parquet"});
  }
  EXPECT_GE(ParquetSink::max_encoders(), 1u);
}

// A prepared day that is never put (its day failed elsewhere, the run
// stopped) leaves no staging file and no trace in the day's directory.
TEST_F(ParquetSinkTest, APreparedDayThatIsNeverPutLeavesNothing) {
  ParquetSink sink(store_, ParquetSinkConfig{}, 1);
  std::vector<BarDay> old_day = {day("SPY", 3, kBarFullFields)};
  sink.write_partition("spy", kDay, old_day, run_);
  std::vector<BarDay> input = {day("SPY", 7, kBarFullFields)};
  auto prepared = sink.prepare(to_partition(BarPartition{"spy", kDay, input}), run_);
  const fs::path dir = day_file("spy", kDay).parent_path();
  EXPECT_EQ(files_in(dir).size(), 2u) << "the staging file sits beside the day";
  prepared.reset();
  EXPECT_EQ(files_in(dir), std::set<std::string>{"data.parquet"});
  EXPECT_EQ(count(day_file("spy", kDay)), 3) << "the previous day is untouched";
  sink.write_partition("spy", kDay, input, run_);  // the day is free again
  EXPECT_EQ(count(day_file("spy", kDay)), 7);
}

// Two writes of one day never stage it at the same time: the second prepare
// waits until the first is put.
TEST_F(ParquetSinkTest, ASecondPrepareOfTheSameDayWaitsForTheFirstToBePut) {
  ParquetSink sink(store_, ParquetSinkConfig{}, 1);
  std::vector<BarDay> first = {day("SPY", 5, kBarFullFields)};
  std::vector<BarDay> second = {day("SPY", 9, kBarFullFields)};
  const Partition first_partition = to_partition(BarPartition{"spy", kDay, first});
  const Partition second_partition = to_partition(BarPartition{"spy", kDay, second});
  auto prepared = sink.prepare(first_partition, run_);
  std::atomic<bool> second_prepared{false};
  std::unique_ptr<Sink::Prepared> later;
  std::thread other([&] {
    later = sink.prepare(second_partition, run_);
    second_prepared = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(second_prepared.load()) << "staged beside a staged file of the same day";
  sink.write_prepared(first_partition, run_, std::move(prepared));
  other.join();
  EXPECT_EQ(count(day_file("spy", kDay)), 5);
  sink.write_prepared(second_partition, run_, std::move(later));
  EXPECT_EQ(count(day_file("spy", kDay)), 9);
}

// A prepared file is put only as the partition it was made from: given
// another day's, the sink encodes the partition it was asked to write.
TEST_F(ParquetSinkTest, AFilePreparedForAnotherDayIsNotPutInItsPlace) {
  ParquetSink sink(store_, ParquetSinkConfig{}, 1);
  std::vector<BarDay> monday = {day("SPY", 4, kBarFullFields)};
  std::vector<BarDay> tuesday = {day("SPY", 6, kBarFullFields)};
  auto prepared = sink.prepare(to_partition(BarPartition{"spy", kDay, monday}), run_);
  const Date next = add_days(kDay, 1);
  sink.write_prepared(to_partition(BarPartition{"spy", next, tuesday}), run_, std::move(prepared));
  EXPECT_EQ(count(day_file("spy", next)), 6);
  EXPECT_FALSE(fs::exists(day_file("spy", kDay)));
}

// Options: the contract columns follow the bar columns, constant per ticker, NULL
// for a BarDay without a contract; mixed chunks (2048 rows) keep their masks right.
TEST_F(ParquetSinkTest, OptionsPartitionCarriesContractColumns) {
  ParquetSink sink(store_, ParquetSinkConfig{}, 1);
  auto option = [](std::string ticker, ContractType type, double strike, int bars) {
    BarDay d = day(std::move(ticker), bars, kBarFullFields, 1000);
    d.feed = "options";
    OptionContract c;
    c.ticker = d.ticker;
    c.underlying = "SPY";
    c.type = type;
    c.strike = strike;
    c.expiration = *parse_date("2025-01-24");
    c.exercise_style = "american";
    d.contract = c;
    return d;
  };
  std::vector<BarDay> input = {option("O:SPY250124P00590500", ContractType::put, 590.5, 3000),
                               day("O:SPY250124C00595000", 100, kBarFullFields, 1000),  // no contract: NULLs
                               option("O:SPY250124C00590000", ContractType::call, 590, 2500)};
  const auto result = sink.write(BarPartition{"options", kDay, input, 0, 0, "option_bars", &option_bars_dataset()}, run_);
  EXPECT_EQ(result.rows, 5600u);
  const fs::path file = day_file("options", kDay);
  const auto schema = reader_.query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM " + read(file) + ")");
  ASSERT_EQ(schema.size(), 16u);
  const std::vector<std::pair<std::string, std::string>> tail = {
      {"underlying", "VARCHAR"}, {"contract_type", "VARCHAR"}, {"strike", "DOUBLE"}, {"expiration", "DATE"}};
  for (std::size_t i = 0; i < tail.size(); ++i) {
    EXPECT_EQ(*schema[12 + i][0], tail[i].first);
    EXPECT_EQ(*schema[12 + i][1], tail[i].second);
  }
  EXPECT_EQ(count(file, "ticker = 'O:SPY250124C00590000' AND underlying = 'SPY' AND contract_type = 'call' AND "
                        "strike = 590 AND expiration = DATE '2025-01-24'"),
            2500);
  EXPECT_EQ(count(file, "ticker = 'O:SPY250124P00590500' AND underlying = 'SPY' AND contract_type = 'put' AND "
                        "strike = 590.5 AND expiration = DATE '2025-01-24'"),
            3000);
  EXPECT_EQ(count(file, "ticker = 'O:SPY250124C00595000' AND underlying IS NULL AND contract_type IS NULL AND "
                        "strike IS NULL AND expiration IS NULL"),
            100);
  EXPECT_EQ(count(file, "underlying IS NULL OR strike IS NULL"), 100);
  // Other feeds keep their schema (no contract columns).
  sink.write_partition("spy", kDay, input, run_);
  EXPECT_EQ(reader_.query("DESCRIBE SELECT * FROM " + read(day_file("spy", kDay))).size(), 12u);
}

TEST_F(ParquetSinkTest, ContractsPartitionIsTheUniverse) {
  ParquetSink sink(store_, ParquetSinkConfig{}, 1);
  OptionsUniverse u;
  u.date = kDay;
  u.underlying = "SPY";
  u.open = 598.62;
  u.open_source = OpenSource::first_bar;
  u.band_pct = 1.0;
  u.strike_low = 598.62 * 0.99;
  u.strike_high = 598.62 * 1.01;
  for (int k : {600, 593, 604})
    for (auto type : {ContractType::put, ContractType::call}) {
      OptionContract c;
      c.ticker = "O:SPY250117" + std::string(type == ContractType::call ? "C" : "P") + "00" + std::to_string(k) + "000";
      c.underlying = "SPY";
      c.type = type;
      c.strike = k;
      c.expiration = kDay;
      c.exercise_style = k == 604 ? "" : "american";
      c.shares_per_contract = 100;
      u.contracts.push_back(c);
    }
  const auto result = sink.write(ContractsPartition{kDay, u}, run_);
  const fs::path file = dir_ / "raw/options_contracts/date=2025-01-17/data.parquet";
  EXPECT_EQ(result.location, file.string());
  EXPECT_EQ(result.feed, "options_contracts");
  EXPECT_EQ(result.rows, 6u);
  EXPECT_EQ(result.sha256, sha256_file_hex(file));
  const auto schema = reader_.query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM " + read(file) + ")");
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"ticker", "VARCHAR"},           {"underlying", "VARCHAR"},     {"contract_type", "VARCHAR"},
      {"strike", "DOUBLE"},            {"expiration", "DATE"},        {"exercise_style", "VARCHAR"},
      {"shares_per_contract", "INTEGER"}, {"underlying_open", "DOUBLE"}, {"open_source", "VARCHAR"},
      {"band_pct", "DOUBLE"},          {"strike_low", "DOUBLE"},      {"strike_high", "DOUBLE"},
      {"ingested_at", "TIMESTAMP WITH TIME ZONE"}, {"run_id", "VARCHAR"}};
  ASSERT_EQ(schema.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(*schema[i][0], expected[i].first);
    EXPECT_EQ(*schema[i][1], expected[i].second);
  }
  const auto rows = reader_.query("SELECT ticker, contract_type, strike, CAST(expiration AS VARCHAR), exercise_style, "
                                  "shares_per_contract FROM " + read(file));
  ASSERT_EQ(rows.size(), 6u);
  for (std::size_t i = 1; i < rows.size(); ++i) EXPECT_LT(*rows[i - 1][0], *rows[i][0]);  // sorted by ticker
  EXPECT_EQ(*rows[0][0], "O:SPY250117C00593000");
  EXPECT_EQ(*rows[0][1], "call");
  EXPECT_EQ(*rows[0][2], "593.0");
  EXPECT_EQ(*rows[0][3], "2025-01-17");
  EXPECT_EQ(*rows[0][4], "american");
  EXPECT_EQ(*rows[0][5], "100");
  EXPECT_EQ(count(file, "exercise_style IS NULL"), 2);
  EXPECT_EQ(count(file, "underlying_open = 598.62 AND open_source = 'first_bar' AND band_pct = 1 AND "
                        "abs(strike_low - 592.6338) < 1e-9 AND abs(strike_high - 604.6062) < 1e-9 AND run_id = '20250117T101502Z-3f9a' "
                        "AND ingested_at > TIMESTAMPTZ '2024-01-01 00:00:00+00'"),
            6);
  // Rewriting the day replaces it; an empty universe leaves the day present and empty.
  u.contracts.resize(2);
  sink.write(ContractsPartition{kDay, u}, run_);
  EXPECT_EQ(count(file), 2);
  u.contracts.clear();
  EXPECT_EQ(sink.write(ContractsPartition{kDay, u}, run_).rows, 0u);
  EXPECT_EQ(count(file), 0);
  EXPECT_EQ(files_in(file.parent_path()), std::set<std::string>{"data.parquet"});
}

// A universe or news partition carries no names of its own: its folder and
// table are those of the registry's entries.
TEST(PartitionNames, UniverseAndNewsPartitionsAreNamedByTheRegistry) {
  const FeedRegistry& feeds = default_feed_registry();
  OptionsUniverse u;
  const Partition contracts = to_partition(ContractsPartition{kDay, u});
  EXPECT_EQ(contracts.name, feeds.first_of(DatasetKind::option_bars).companion->name);
  EXPECT_EQ(contracts.table, feeds.first_of(DatasetKind::option_bars).companion->sql_table);
  EXPECT_EQ(contracts.dataset, &options_contracts_dataset());
  const Partition news = to_partition(NewsPartition{kDay, {}, {}});
  EXPECT_EQ(news.name, feeds.first_of(DatasetKind::news).name);
  EXPECT_EQ(news.table, feeds.first_of(DatasetKind::news).sql_table);
  EXPECT_EQ(news.dataset, &news_dataset());
}

}  // namespace
}  // namespace soi
