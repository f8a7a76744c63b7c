// The ingest path: every batch is logged before it is queued, a commit may
// forget the log only when nothing is waiting in the queue, and a new ingest
// over the same directory replays exactly what was not checkpointed.
#include "orchestrator/stream_ingest.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "orchestrator/gap_journal.hpp"
#include "orchestrator/gap_repair.hpp"

namespace soi {
namespace {

namespace fs = std::filesystem;

struct Dir {
  fs::path path = fs::temp_directory_path() / ("soi_ingest_" + std::to_string(::getpid()));
  Dir() { fs::remove_all(path); }
  ~Dir() { fs::remove_all(path); }
};

StreamIngestOptions options_for(const fs::path& dir) {
  StreamIngestOptions o;
  o.wal.dir = dir / "wal";
  o.queue.capacity_batches = 2;
  o.queue.spill_path = dir / "spill";
  o.sync_interval = std::chrono::milliseconds(0);
  return o;
}

void fill(RecordBatch& batch, int first, int count) {
  for (int i = first; i < first + count; ++i) {
    Bar b;
    b.ts_ms = 1737124200000 + i * 1000;
    b.open = b.high = b.low = b.close = 600 + i;
    batch.add(0, "SPY", b, 1737124200000 + i * 1000 + 5);
  }
}

TEST(StreamIngest, TheSyncThreadSyncsOnItsIntervalAndStopsWithTheIngest) {
  Dir dir;
  ErrorSummary errors;
  StreamIngestOptions o = options_for(dir.path);
  o.sync_interval = std::chrono::milliseconds(10);
  const auto started = std::chrono::steady_clock::now();
  {
    StreamIngest ingest(o, errors);
    RecordBatch batch;
    fill(batch, 0, 10);
    ingest.submit(batch);
    for (int i = 0; i < 200 && ingest.syncs() < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_GE(ingest.syncs(), 3u) << "synced every 10 ms by its own thread";
  }  // the destructor stops the thread (after a last sync) without waiting out an interval
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_EQ(errors.total(), 0u);
  StreamIngest again(options_for(dir.path), errors);  // what was logged is all there
  std::uint64_t n = 0;
  EXPECT_EQ(again.replay([&](const WalRecord&) { ++n; }), 10u);
  EXPECT_EQ(n, 10u);
}

TEST(StreamIngest, CheckpointOnlyWhenDrainedAndReplayTheRest) {
  Dir dir;
  ErrorSummary errors;
  {
    StreamIngest ingest(options_for(dir.path), errors);
    RecordBatch batch;
    for (int k = 0; k < 5; ++k) {  // more than the queue holds in memory: spilled, never blocked
      fill(batch, k * 10, 10);
      ingest.submit(batch);
      EXPECT_TRUE(batch.empty());
    }
    EXPECT_EQ(ingest.logged_records(), 50u);
    EXPECT_GT(ingest.queue_stats().spilled_batches, 0u);
    EXPECT_FALSE(ingest.drained_position()) << "batches are still queued";
    RecordBatch out;
    std::int64_t expect = 0;
    for (int k = 0; k < 3; ++k) {
      ASSERT_TRUE(ingest.pop(out, std::chrono::milliseconds(100)));
      for (std::size_t i = 0; i < out.size(); ++i, ++expect)
        EXPECT_EQ(out[i].bar.ts_ms, 1737124200000 + expect * 1000) << "order kept through the spill file";
    }
    EXPECT_FALSE(ingest.drained_position());
    while (ingest.pop(out, std::chrono::milliseconds(0))) {}
    const auto drained = ingest.drained_position();
    ASSERT_TRUE(drained);
    ingest.checkpoint(*drained);
    fill(batch, 100, 7);  // received after the commit: must survive a crash
    ingest.submit(batch);
  }
  StreamIngest again(options_for(dir.path), errors);
  std::vector<std::int64_t> seen;
  EXPECT_EQ(again.replay([&](const WalRecord& r) { seen.push_back(r.bar.ts_ms); }), 7u);
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_EQ(seen.front(), 1737124200000 + 100 * 1000);
  EXPECT_EQ(errors.total(), 0u);
}

TEST(GapLog, OneJsonLineWithTheWindowTickersAndCount) {
  GapRequest r;
  r.feed = StreamFeed{2};
  r.market = "options";
  r.tickers = {"O:SPY250117C00600000", "O:SPY250117P00600000"};
  r.start_ms = 1737124200000;
  r.end_ms = 1737124260000;
  r.reason = "reconnect";
  const std::string line = gap_log_line(r, "options", 42, "");
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(line.find(R"("feed":"options")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("start":"2025-01-17T14:30:00.000Z")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("end":"2025-01-17T14:31:00.000Z")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("tickers":["O:SPY250117C00600000","O:SPY250117P00600000"])"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("bars_recovered":42,"error":null)"), std::string::npos) << line;
  EXPECT_NE(gap_log_line(r, "options", 0, "server said \"no\"").find(R"("error":"server said \"no\"")"), std::string::npos);
}

TEST(GapJournal, RepairsAKilledRunOwedAreTakenOnceForTheirDay) {
  Dir dir;
  const auto path = dir.path / "state" / "open_gaps.jsonl";
  const Date day = *parse_date("2025-01-17");
  GapRequest owed{StreamFeed{2}, "options", {"O:SPY250117C00600000", "O:SPY250117P00600000"},
                  1737124200000, 1737124500000, "reconnect"};
  GapRequest repaired{StreamFeed{0}, "stocks", {"SPY"}, 1737124200000, 1737124260000, "start"};
  GapRequest other_day{StreamFeed{1}, "indices", {"I:VIX"}, 1737037800000, 1737037860000, "reconnect"};
  {
    GapJournal journal(path);
    journal.opened(owed);
    journal.done(journal.opened(repaired));
    journal.opened(other_day);
  }
  { std::ofstream(path, std::ios::app) << R"({"open":7,"date":"2025-01-17","fe)"; }  // torn by a kill

  GapJournal next(path);
  const auto open = next.take_open(day);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].feed, StreamFeed{2});
  EXPECT_EQ(open[0].market, "options");
  EXPECT_EQ(open[0].tickers, owed.tickers);
  EXPECT_EQ(open[0].start_ms, owed.start_ms);
  EXPECT_EQ(open[0].end_ms, owed.end_ms);
  EXPECT_EQ(open[0].reason, "unfinished");
  EXPECT_TRUE(next.take_open(day).empty()) << "taken once: resubmitting records them anew";
}

}  // namespace
}  // namespace soi
