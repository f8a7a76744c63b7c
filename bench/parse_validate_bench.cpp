// Page parse + validate (and + Parquet write) throughput on a 50,000-bar
// aggregates page shaped like the real per-second answer.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>

#include <fmt/format.h>

#include "data_sources/aggs_parser.hpp"
#include "processing/dedup.hpp"
#include "sinks/parquet/parquet_sink.hpp"
#include "sinks/store/local_store.hpp"

namespace {

constexpr int kBars = 50000;
constexpr std::int64_t kStart = 1737124200000;  // 2025-01-17 09:30 New York

std::string make_page() {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> step(0.0, 0.02);
  double price = 598.62;
  std::string body = R"({"ticker":"SPY","queryCount":50000,"resultsCount":50000,"adjusted":true,"results":[)";
  for (int i = 0; i < kBars; ++i) {
    double o = price, c = price + step(rng);
    double h = std::max(o, c) + 0.01, l = std::min(o, c) - 0.01;
    price = c;
    body += fmt::format(R"({}{{"v":{},"vw":{:.4f},"o":{:.2f},"c":{:.2f},"h":{:.2f},"l":{:.2f},"t":{},"n":{}}})",
                        i ? "," : "", 100 + i % 5000, (o + c) / 2, o, c, h + 0.005, l - 0.005, kStart + i * 1000LL,
                        1 + i % 40);
  }
  body += R"(],"status":"OK","request_id":"b1f3c0a7e29d4f6a9c5e1d2f3a4b5c6d","count":50000})";
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  return body;
}

const soi::BarWindow kWindow{kStart, kStart + 86400000LL, 1000};

void BM_ParseValidate(benchmark::State& state) {
  const std::string body = make_page();
  soi::AggsParser parser(soi::AggsShape::equity);
  soi::AggsPage page;
  for (auto _ : state) {
    page.clear();
    parser.parse(body, kWindow, page);
    benchmark::DoNotOptimize(page.bars.data());
  }
  if (page.bars.size() != kBars) state.SkipWithError("not every bar parsed");
  state.SetItemsProcessed(state.iterations() * kBars);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(BM_ParseValidate)->Unit(benchmark::kMillisecond);

void BM_ParseValidateWriteParquet(benchmark::State& state) {
  const std::string body = make_page();
  const auto dir = std::filesystem::temp_directory_path() / "soi-bench-parquet";
  soi::ParquetSink sink(std::make_shared<soi::LocalStore>(dir), soi::ParquetSinkConfig{});
  soi::AggsParser parser(soi::AggsShape::equity);
  soi::AggsPage page;
  soi::RunInfo run{"bench", kStart};
  for (auto _ : state) {
    page.clear();
    parser.parse(body, kWindow, page);
    soi::BarDay day{"spy", "SPY", *soi::parse_date("2025-01-17"), soi::Origin::rest, page.bars};
    soi::dedup_keep_last(day.bars);
    auto result = sink.write_partition("spy", day.date, std::span<const soi::BarDay>(&day, 1), run);
    benchmark::DoNotOptimize(result.rows);
  }
  state.SetItemsProcessed(state.iterations() * kBars);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_ParseValidateWriteParquet)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
