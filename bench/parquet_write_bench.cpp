// Throughput of ParquetSink::write_partition for a 50,000-row day: the full
// commit path (load into DuckDB, sorted COPY to zstd Parquet, sha256, fsync,
// rename). Two shapes: one ticker of per-second bars (SPY) and many option
// tickers of minute bars (longer, non-inlined ticker strings).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "sinks/parquet/parquet_sink.hpp"
#include "sinks/store/local_store.hpp"

namespace {
namespace fs = std::filesystem;

constexpr int kRows = 50000;
const soi::Date kDay = *soi::parse_date("2025-01-17");
constexpr std::int64_t kOpenMs = 1737124200000;  // 2025-01-17 09:30 New York

std::vector<soi::BarDay> make_days(int tickers, bool index) {
  std::vector<soi::BarDay> days(static_cast<std::size_t>(tickers));
  const int per_ticker = kRows / tickers;
  for (int t = 0; t < tickers; ++t) {
    auto& d = days[static_cast<std::size_t>(t)];
    d.feed = "bench";
    d.ticker = tickers == 1 ? "SPY" : "O:SPY250117C00" + std::to_string(550000 + t * 1000);
    d.date = kDay;
    d.bars.resize(static_cast<std::size_t>(per_ticker));
    for (int i = 0; i < per_ticker; ++i) {
      auto& b = d.bars[static_cast<std::size_t>(i)];
      b.ts_ms = kOpenMs + static_cast<std::int64_t>(i) * (tickers == 1 ? 1000 : 60000);
      b.open = 590 + i * 0.01;
      b.high = b.open + 0.05;
      b.low = b.open - 0.05;
      b.close = b.open + 0.01;
      b.volume = 1000 + i % 97;
      b.vwap = b.open + 0.005;
      b.transactions = 10 + i % 13;
      b.fields = index ? 0 : soi::kBarFullFields;
    }
  }
  return days;
}

void run(benchmark::State& state, int tickers, bool index) {
  const fs::path dir = fs::temp_directory_path() / ("soi_parquet_bench_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const auto days = make_days(tickers, index);
  soi::ParquetSink sink(std::make_shared<soi::LocalStore>(dir), soi::ParquetSinkConfig{},
                        static_cast<int>(state.range(0)));
  const soi::RunInfo info{"bench-run", 0};
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    const auto result = sink.write_partition("bench", kDay, days, info);
    bytes = result.bytes;
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * kRows);
  state.counters["file_bytes"] = static_cast<double>(bytes);
  fs::remove_all(dir);
}

void BM_WritePartition_SpySeconds(benchmark::State& state) { run(state, 1, false); }
void BM_WritePartition_Options100(benchmark::State& state) { run(state, 100, false); }
void BM_WritePartition_IndexNoVolume(benchmark::State& state) { run(state, 1, true); }

// Arg: DuckDB threads (0 = all cores).
BENCHMARK(BM_WritePartition_SpySeconds)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_WritePartition_Options100)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_WritePartition_IndexNoVolume)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
