// Write-ahead log append throughput: batches of 1,000 per-second aggregates
// (stocks + options symbols), one write() per batch, with and without an
// fdatasync per batch. Records/s and bytes/s (frame bytes written), wall clock:
// the cost is I/O, which CPU time would hide.
// The log lives under $SOI_BENCH_DIR (default: the system temp dir): the
// fdatasync figure is the storage device's, so run it where the data will be.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include <fmt/format.h>

#include "processing/write_ahead_log.hpp"

namespace {

constexpr int kRecords = 1000;

soi::RecordBatch make_batch() {
  soi::RecordBatch batch;
  for (int i = 0; i < kRecords; ++i) {
    soi::Bar bar;
    bar.ts_ms = 1737124201000 + (i / 2) * 1000;
    bar.open = bar.close = i % 2 ? 9.4 : 599.0;
    bar.high = bar.open + 0.01;
    bar.low = bar.open - 0.01;
    bar.volume = 100 + i;
    bar.vwap = bar.open;
    bar.fields = soi::kBarHasVolume | soi::kBarHasVwap;
    const std::string symbol = i % 2 ? fmt::format("O:SPY250117C00{:06d}", 550000 + (i % 200) * 1000) : "SPY";
    batch.add(static_cast<std::uint8_t>(i % 2), symbol, bar, bar.ts_ms + 1050);
  }
  return batch;
}

void BM_WalAppend(benchmark::State& state) {
  const bool sync_each_batch = state.range(0) != 0;
  const char* base = std::getenv("SOI_BENCH_DIR");
  const auto dir = std::filesystem::path(base ? base : std::filesystem::temp_directory_path().string()) /
                   fmt::format("soi-wal-bench-{}", ::getpid());
  std::filesystem::remove_all(dir);
  const soi::RecordBatch batch = make_batch();
  {
    soi::WriteAheadLog wal(soi::WalOptions{dir, 64ull << 20});
    for (auto _ : state) {
      const auto end = wal.append(batch);
      if (sync_each_batch) wal.sync();
      // Keep the disk footprint bounded, as the writer's commits would: every
      // ~64 MB, checkpoint everything (deletes the sealed segments).
      if (end.offset > (48ull << 20)) wal.checkpoint(end);
    }
    state.SetItemsProcessed(state.iterations() * kRecords);
    state.SetBytesProcessed(static_cast<std::int64_t>(wal.stats().appended_bytes));
    state.counters["bytes_per_record"] =
        static_cast<double>(wal.stats().appended_bytes) / static_cast<double>(wal.stats().appended_records);
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_WalAppend)->Arg(0)->ArgName("fdatasync_per_batch")->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_WalAppend)->Arg(1)->ArgName("fdatasync_per_batch")->UseRealTime()->Unit(benchmark::kMicrosecond);

// Replay speed (what a restart after a crash costs): 100 batches written once, replayed per iteration.
void BM_WalReplay(benchmark::State& state) {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("soi-wal-replay-bench-{}", ::getpid());
  std::filesystem::remove_all(dir);
  const soi::RecordBatch batch = make_batch();
  {
    soi::WriteAheadLog wal(soi::WalOptions{dir, 64ull << 20});
    for (int i = 0; i < 100; ++i) wal.append(batch);
    std::uint64_t records = 0;
    for (auto _ : state) {
      records += wal.replay([](const soi::WalRecord& r, const soi::WalPosition&) { benchmark::DoNotOptimize(r.bar.ts_ms); });
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(records));
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(wal.stats().appended_bytes));
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_WalReplay)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
BENCHMARK_MAIN();
