// WebSocket frame parse throughput: one frame of 1,000 `A` events shaped like
// the contract's per-second aggregates (stocks + options mix), parsed into
// WsAggEvent records with validation, the parser and frame buffers reused.
#include <benchmark/benchmark.h>

#include <random>

#include <fmt/format.h>

#include "data_sources/ws_event_parser.hpp"

namespace {

constexpr int kEvents = 1000;
constexpr std::int64_t kStart = 1737124201000;  // 2025-01-17 09:30:01 New York

std::string make_frame() {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> step(0.0, 0.02);
  std::string frame = "[";
  for (int i = 0; i < kEvents; ++i) {
    const double base = i % 2 ? 9.4 : 599.0;
    double o = base + step(rng), c = base + step(rng);
    double h = std::max(o, c) + 0.01, l = std::min(o, c) - 0.01;
    std::string sym = i % 2 ? fmt::format("O:SPY250117C00{:06d}", 550000 + (i % 200) * 1000) : "SPY";
    frame += fmt::format(
        R"({}{{"ev":"A","sym":"{}","v":{},"av":{},"op":{:.2f},"vw":{:.4f},"o":{:.2f},"c":{:.2f},"h":{:.2f},"l":{:.2f},"a":{:.4f},"z":{},"s":{},"e":{}}})",
        i ? "," : "", sym, 100 + i % 5000, 4215530 + i, base, (o + c) / 2, o, c, h + 0.005, l - 0.005, base,
        1 + i % 40, kStart + (i / 2) * 1000LL, kStart + (i / 2) * 1000LL + 1000);
  }
  frame += "]";
  frame.reserve(frame.size() + simdjson::SIMDJSON_PADDING);
  return frame;
}

void BM_WsParseFrame(benchmark::State& state) {
  const std::string frame = make_frame();
  soi::WsEventParser parser;
  soi::WsFrame out;
  for (auto _ : state) {
    out.clear();
    parser.parse(simdjson::padded_string_view(frame), out);
    benchmark::DoNotOptimize(out.aggs.data());
  }
  if (out.aggs.size() != kEvents || !out.rejects.empty()) state.SkipWithError("not every event parsed");
  state.SetItemsProcessed(state.iterations() * kEvents);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(frame.size()));
}
BENCHMARK(BM_WsParseFrame)->Unit(benchmark::kMicrosecond);

void BM_WsParseFrameUnpadded(benchmark::State& state) {
  const std::string frame = make_frame();
  soi::WsEventParser parser;
  soi::WsFrame out;
  for (auto _ : state) {
    out.clear();
    parser.parse(std::string_view(frame), out);
    benchmark::DoNotOptimize(out.aggs.data());
  }
  if (out.aggs.size() != kEvents) state.SkipWithError("not every event parsed");
  state.SetItemsProcessed(state.iterations() * kEvents);
}
BENCHMARK(BM_WsParseFrameUnpadded)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
