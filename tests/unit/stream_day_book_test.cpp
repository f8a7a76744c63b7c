// The streamed day: later arrival wins per (ticker, second), snapshots are
// sorted and stable, options carry their contract, and a committed partition
// read back seeds a new book with exactly what was written.
#include "processing/stream_day_book.hpp"

#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "sinks/parquet/bar_partition_reader.hpp"
#include "sinks/parquet/parquet_sink.hpp"
#include "sinks/store/local_store.hpp"
#include "support/faulty_store.hpp"
#include "utils/error.hpp"

namespace soi {
namespace {

const Date kDay = *parse_date("2025-01-17");
// The default registry's positions (config/feed_registry.cpp).
constexpr StreamFeed kSpy{0}, kVix{1}, kOptions{2};
constexpr std::int64_t kOpen = 1737124200000;  // 2025-01-17 09:30 New York

Bar bar(std::int64_t second, double close, bool full = true) {
  Bar b;
  b.ts_ms = kOpen + second * 1000;
  b.open = close - 0.1;
  b.high = close + 0.2;
  b.low = close - 0.3;
  b.close = close;
  if (full) {
    b.volume = 100 + second;
    b.vwap = close;
    b.fields = kBarHasVolume | kBarHasVwap;
  }
  return b;
}

TEST(StreamDayBook, LaterArrivalWinsAndSnapshotIsSorted) {
  StreamDayBook book(kDay);
  book.add(kSpy, "SPY", bar(2, 600.2));
  book.add(kSpy, "SPY", bar(0, 600.0));
  book.add(kSpy, "SPY", bar(1, 600.1));
  book.add(kSpy, "SPY", bar(1, 601.1));  // a corrected re-send of second 1
  EXPECT_EQ(book.bars_added(), 4u);
  EXPECT_EQ(*book.last_ts(kSpy, "SPY"), kOpen + 2000);
  EXPECT_FALSE(book.last_ts(kVix));

  auto days = book.snapshot(kSpy);
  ASSERT_EQ(days.size(), 1u);
  EXPECT_TRUE(days[0].feed.empty()) << "the book knows feeds by index; its caller names them";
  EXPECT_EQ(days[0].ticker, "SPY");
  EXPECT_EQ(days[0].origin, Origin::ws);
  ASSERT_EQ(days[0].bars.size(), 3u);
  EXPECT_EQ(days[0].bars[0].ts_ms, kOpen);
  EXPECT_DOUBLE_EQ(days[0].bars[1].close, 601.1);
  EXPECT_EQ(book.duplicates(), 1u);
  EXPECT_EQ(book.rows(kSpy), 3u) << "compacted by the snapshot";

  // Bars after a snapshot still win over the compacted ones.
  book.add(kSpy, "SPY", bar(0, 599.0));
  days = book.snapshot(kSpy);
  ASSERT_EQ(days[0].bars.size(), 3u);
  EXPECT_DOUBLE_EQ(days[0].bars[0].close, 599.0);
}

TEST(StreamDayBook, TakeMovesTheDayOutAndKeepsTheCounts) {
  StreamDayBook book(kDay, /*series_capacity=*/23400);
  book.add(kSpy, "SPY", bar(1, 600.1));
  book.add(kSpy, "SPY", bar(0, 600.0));
  book.add(kSpy, "SPY", bar(1, 601.1));
  book.add(kVix, "I:VIX", bar(0, 16.0, false));

  const auto days = book.take(kSpy);
  ASSERT_EQ(days.size(), 1u);
  ASSERT_EQ(days[0].bars.size(), 2u) << "sorted and de-duplicated like a snapshot";
  EXPECT_DOUBLE_EQ(days[0].bars[1].close, 601.1);
  EXPECT_EQ(book.rows(kSpy), 2u) << "the summary still counts the taken day";
  EXPECT_EQ(book.tickers(kSpy), 1u);
  EXPECT_EQ(*book.last_ts(kSpy, "SPY"), kOpen + 1000);
  EXPECT_EQ(*book.last_ts(kSpy), kOpen + 1000);
  EXPECT_EQ(book.snapshot(kVix).size(), 1u) << "other feeds untouched";
  // The feed is closed: a fragment of the day can never be committed as the day.
  EXPECT_THROW(book.snapshot(kSpy), std::logic_error);
  EXPECT_THROW(book.take(kSpy), std::logic_error);
  EXPECT_THROW(book.add(kSpy, "SPY", bar(5, 602.0)), std::logic_error);
  EXPECT_EQ(book.rows(kSpy), 2u);
}

TEST(StreamDayBook, HoldsAnswersForTheCommittedBarsReadBack) {
  StreamDayBook book(kDay);
  BarDay committed;
  committed.ticker = "SPY";
  committed.bars = {bar(0, 600.0), bar(2, 600.2), bar(4, 600.4)};
  book.add_day(kSpy, committed);
  EXPECT_TRUE(book.holds(kSpy, "SPY", kOpen + 2000));
  EXPECT_FALSE(book.holds(kSpy, "SPY", kOpen + 3000));
  EXPECT_FALSE(book.holds(kSpy, "QQQ", kOpen));
  EXPECT_FALSE(book.holds(kVix, "SPY", kOpen));
  book.add(kSpy, "SPY", bar(3, 600.3));  // appended: not part of what was read back...
  EXPECT_FALSE(book.holds(kSpy, "SPY", kOpen + 3000));
  book.snapshot(kSpy);  // ...until a snapshot sorts the whole series
  EXPECT_TRUE(book.holds(kSpy, "SPY", kOpen + 3000));
}

TEST(StreamDayBook, OptionsCarryTheirContractAndTickersSort) {
  StreamDayBook book(kDay);
  OptionContract c;
  c.ticker = "O:SPY250117C00600000";
  c.underlying = "SPY";
  c.strike = 600;
  c.expiration = kDay;
  book.set_contract(c);
  book.add(kOptions, "O:SPY250117P00600000", bar(0, 1.5));
  book.add(kOptions, "O:SPY250117C00600000", bar(0, 2.5));
  const auto days = book.snapshot(kOptions);
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].ticker, "O:SPY250117C00600000");
  ASSERT_TRUE(days[0].contract);
  EXPECT_DOUBLE_EQ(days[0].contract->strike, 600);
  EXPECT_FALSE(days[1].contract) << "no metadata known: written with NULL contract columns";
  EXPECT_EQ(book.tickers(kOptions), 2u);
}

TEST(StreamDayBook, AFeedNotSeenYetIsEmptyAndGrowsOnFirstUse) {
  StreamDayBook book(kDay);
  const StreamFeed added{7};  // e.g. a feed a later registry appends
  EXPECT_EQ(book.rows(added), 0u);
  EXPECT_EQ(book.tickers(added), 0u);
  EXPECT_FALSE(book.last_ts(added));
  EXPECT_FALSE(book.holds(added, "QQQ", kOpen));
  EXPECT_TRUE(book.snapshot(kVix).empty());
  book.add(added, "QQQ", bar(0, 500.0));
  EXPECT_EQ(book.rows(added), 1u);
  EXPECT_EQ(book.rows(kSpy), 0u) << "feeds are kept apart";
  EXPECT_EQ(book.take(added).size(), 1u);
  EXPECT_THROW(book.add(added, "QQQ", bar(1, 500.1)), std::logic_error);
}

TEST(BarPartitionReader, ReadsBackWhatTheParquetSinkWrote) {
  const auto dir = std::filesystem::temp_directory_path() / ("soi_book_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto store = std::make_shared<LocalStore>(dir);
  ParquetSink sink(store, ParquetSinkConfig{});
  StreamDayBook book(kDay);
  OptionContract c;
  c.ticker = "O:SPY250117C00600000";
  c.underlying = "SPY";
  c.type = ContractType::call;
  c.strike = 600;
  c.expiration = kDay;
  book.set_contract(c);
  for (int i = 0; i < 50; ++i) book.add(kOptions, c.ticker, bar(i * 3, 2 + i * 0.01));
  book.add(kVix, "I:VIX", bar(0, 16.5, /*full=*/false));
  const auto options = book.snapshot(kOptions);
  const auto vix = book.snapshot(kVix);
  sink.write(BarPartition{"options", kDay, options, 0, 0, "option_bars", &option_bars_dataset()}, RunInfo{"test", 0});
  sink.write(BarPartition{"vix", kDay, vix}, RunInfo{"test", 0});

  const auto back = read_bar_partition(*store, "options", kDay);
  ASSERT_EQ(back.size(), 1u);
  ASSERT_EQ(back[0].bars.size(), 50u);
  for (std::size_t i = 0; i < 50; ++i) {
    EXPECT_EQ(back[0].bars[i].ts_ms, options[0].bars[i].ts_ms);
    EXPECT_DOUBLE_EQ(back[0].bars[i].close, options[0].bars[i].close);
    EXPECT_DOUBLE_EQ(back[0].bars[i].volume, options[0].bars[i].volume);
    EXPECT_EQ(back[0].bars[i].fields, options[0].bars[i].fields);
  }
  ASSERT_TRUE(back[0].contract);
  EXPECT_EQ(back[0].contract->type, ContractType::call);
  EXPECT_DOUBLE_EQ(back[0].contract->strike, 600);
  EXPECT_EQ(format_date(back[0].contract->expiration), "2025-01-17");

  const auto index = read_bar_partition(*store, "vix", kDay);
  ASSERT_EQ(index.size(), 1u);
  EXPECT_EQ(index[0].bars[0].fields, 0) << "an index bar has no volume or vwap";
  EXPECT_TRUE(read_bar_partition(*store, "spy", kDay).empty());

  std::filesystem::create_directories(dir / "raw/bad/date=2025-01-17");
  std::ofstream(dir / "raw/bad/date=2025-01-17/data.parquet") << "not parquet";
  try {
    read_bar_partition(*store, "bad", kDay);
    FAIL() << "expected SoiError";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
    EXPECT_NE(e.message().find(store->location("raw/bad/date=2025-01-17/data.parquet")), std::string::npos)
        << e.message();
  }
  // A store that cannot be read is a storage error naming the day, never an empty day.
  test::FaultyStore unreadable(store, test::StoreFaults{.fail_get = true});
  try {
    read_bar_partition(unreadable, "options", kDay);
    FAIL() << "expected SoiError";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
    EXPECT_NE(e.message().find("raw/options/date=2025-01-17/data.parquet"), std::string::npos) << e.message();
    EXPECT_EQ(e.context().date, "2025-01-17");
  }
  std::filesystem::remove_all(dir);
}

TEST(BarPartitionReader, ReadsBackTheContractsOfADay) {
  const auto dir = std::filesystem::temp_directory_path() / ("soi_contracts_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto store = std::make_shared<LocalStore>(dir);
  ParquetSink sink(store, ParquetSinkConfig{});
  EXPECT_TRUE(read_contracts_partition(*store, kDay).empty());
  EXPECT_FALSE(read_universe_partition(*store, kDay));
  OptionsUniverse u;
  u.date = kDay;
  u.underlying = "SPY";
  u.open = 600;
  for (const char* t : {"O:SPY250117P00599000", "O:SPY250117C00601000"}) {
    OptionContract c;
    c.ticker = t;
    c.underlying = "SPY";
    c.type = t[11] == 'P' ? ContractType::put : ContractType::call;
    c.strike = t[11] == 'P' ? 599 : 601;
    c.expiration = kDay;
    c.exercise_style = "american";
    u.contracts.push_back(c);
  }
  sink.write(ContractsPartition{kDay, u}, RunInfo{"test", 0});
  const auto back = read_contracts_partition(*store, kDay);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].ticker, "O:SPY250117C00601000");  // by ticker
  EXPECT_EQ(back[0].type, ContractType::call);
  EXPECT_DOUBLE_EQ(back[1].strike, 599);
  EXPECT_EQ(back[1].type, ContractType::put);
  EXPECT_EQ(back[1].exercise_style, "american");
  EXPECT_EQ(back[1].shares_per_contract, 100);
  EXPECT_EQ(format_date(back[1].expiration), "2025-01-17");
  EXPECT_TRUE(read_contracts_partition(*store, add_days(kDay, 1)).empty());
  const auto universe = read_universe_partition(*store, kDay);
  ASSERT_TRUE(universe);
  EXPECT_DOUBLE_EQ(universe->open, 600);
  EXPECT_EQ(universe->underlying, "SPY");
  EXPECT_EQ(universe->contracts.size(), 2u);
  EXPECT_FALSE(read_universe_partition(*store, add_days(kDay, 1)));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace soi
