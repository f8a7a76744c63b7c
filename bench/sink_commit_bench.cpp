// Commit latency of a SPY day through the sinks `soi backfill` uses: the
// SinkSet that make_sinks builds from the default configuration (Parquet
// through a LocalStore, then the consolidated DuckDB database: views over the
// files by default, --layout tables for a copy of every day), one
// 23,400-row day of per-second bars per commit (a full regular session).
//
// Phases, on one data directory:
//   first   --days new trading days, in date order (a backfill of new days);
//   rerun   the same days again, --rounds times (the history-correction path:
//           every commit replaces a day both sinks already hold);
//   close   destroying the sinks (the DuckDB sink's last checkpoint).
// Each commit is timed around SinkSet::write, as BackfillJob does, with each
// sink's own share (PartitionWriteResult::seconds). The distribution is what
// matters (a periodic checkpoint is one slow commit in several), so every
// phase reports mean, p50, p95 and max rather than a steady-state mean.
//
// Plain main(): a commit's latency distribution over a fixed sequence of days
// is the measurement, which Google Benchmark's repeat-until-stable iterations
// do not give. --benchmark_* flags are accepted and ignored. Usage:
//   sink_commit_bench [--days N] [--rounds R] [--rows N] [--dir PATH] [--no-duckdb] [--layout views|tables]
//                     [--verbose]
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "config/config.hpp"
#include "config/feed_registry.hpp"
#include "sinks/sink_factory.hpp"
#include "utils/time_util.hpp"

namespace {
namespace fs = std::filesystem;
using soi::Date;

struct Summary {
  std::size_t n = 0;
  double mean = 0, p50 = 0, p95 = 0, max = 0;
};

Summary summarize(std::vector<double> ms) {
  Summary s;
  s.n = ms.size();
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  double total = 0;
  for (double v : ms) total += v;
  s.mean = total / static_cast<double>(ms.size());
  const auto rank = [&](double q) {
    return ms[std::min(ms.size() - 1, static_cast<std::size_t>(std::ceil(q * static_cast<double>(ms.size()))) - 1)];
  };
  s.p50 = rank(0.50);
  s.p95 = rank(0.95);
  s.max = ms.back();
  return s;
}

std::string line(const Summary& s) {
  return fmt::format("n {:>3}  mean {:7.1f} ms  p50 {:7.1f} ms  p95 {:7.1f} ms  max {:7.1f} ms", s.n, s.mean, s.p50,
                     s.p95, s.max);
}

// The weekdays from 2025-01-02 on (holidays do not matter here).
std::vector<Date> trading_days(std::size_t count) {
  std::vector<Date> days;
  for (Date d = *soi::parse_date("2025-01-02"); days.size() < count; d = soi::add_days(d, 1)) {
    const unsigned weekday = soi::weekday_index(d);
    if (weekday != 0 && weekday != 6) days.push_back(d);
  }
  return days;
}

// One regular session of per-second SPY bars: a random walk in cents, as dedup leaves
// them (sorted by ts, unique). `seed` varies the values between rounds so that a
// rerun really replaces the content.
soi::BarDay make_day(Date date, std::size_t rows, std::uint64_t seed) {
  soi::BarDay day;
  day.feed = "spy";
  day.ticker = "SPY";
  day.date = date;
  day.origin = soi::Origin::rest;
  day.bars.resize(rows);
  const std::int64_t open_ms = soi::ny_wall_to_utc_ms(date, 9 * 60 + 30);
  std::uint64_t state = seed * 0x9E3779B97F4A7C15ULL + 1;
  const auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / static_cast<double>(1ULL << 53);
  };
  // Prices move in cents, as SPY's do; vwap has four decimals.
  std::int64_t cents = 59'000;
  const auto step = [&] { return static_cast<std::int64_t>(next() * 7) - 3; };
  for (std::size_t i = 0; i < rows; ++i) {
    soi::Bar& b = day.bars[i];
    b.ts_ms = open_ms + static_cast<std::int64_t>(i) * 1000;
    const std::int64_t open = cents;
    cents += step();
    const std::int64_t high = std::max(open, cents) + static_cast<std::int64_t>(next() * 3);
    const std::int64_t low = std::min(open, cents) - static_cast<std::int64_t>(next() * 3);
    b.open = static_cast<double>(open) / 100;
    b.close = static_cast<double>(cents) / 100;
    b.high = static_cast<double>(high) / 100;
    b.low = static_cast<double>(low) / 100;
    b.vwap = std::round((b.low + next() * (b.high - b.low)) * 10'000) / 10'000;
    b.volume = std::floor(100 + next() * 5000);
    b.transactions = 1 + static_cast<std::int64_t>(next() * 60);
    b.fields = soi::kBarFullFields;
  }
  return day;
}

struct Phase {
  std::vector<double> total, parquet, duckdb;
  double cpu_ms = 0;  // the process's CPU time (every thread) over the phase's commits
};

// CPU time of the whole process: on a shared machine the wall clock of a commit
// depends on the neighbours, its CPU time much less.
double process_cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t days_n = 20, rounds = 2, rows = 23'400;
  bool duckdb = true, verbose = false;
  std::string layout = "views";
  fs::path dir;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--days" && i + 1 < argc) days_n = std::max<std::size_t>(1, std::stoul(argv[++i]));
    else if (arg == "--rounds" && i + 1 < argc) rounds = std::stoul(argv[++i]);
    else if (arg == "--rows" && i + 1 < argc) rows = std::max<std::size_t>(1, std::stoul(argv[++i]));
    else if (arg == "--dir" && i + 1 < argc) dir = argv[++i];
    else if (arg == "--no-duckdb") duckdb = false;
    else if (arg == "--layout" && i + 1 < argc) layout = argv[++i];
    else if (arg == "--verbose") verbose = true;
    else if (!arg.starts_with("--benchmark_")) fmt::print(stderr, "ignoring unknown argument {}\n", arg);
  }
  const bool own_dir = dir.empty();
  if (own_dir) dir = fs::temp_directory_path() / ("soi_sink_commit_bench_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  std::string loadavg;
  std::getline(std::ifstream("/proc/loadavg"), loadavg);
  fmt::print("sink commit: {} SPY days x {} per-second bars, first commit then {} rerun round(s), Parquet (LocalStore "
             "{}){} (load average {})\n",
             days_n, rows, rounds, dir.string(), duckdb ? " + consolidated DuckDB (" + layout + ")" : "", loadavg);
  try {
    soi::Config config;
    config.settings.data_dir = dir.string();
    config.sinks.duckdb.enabled = duckdb;
    config.sinks.duckdb.layout = layout;
    const soi::FeedRegistry& feeds = soi::default_feeds();
    auto store = soi::make_partition_store(config);
    const auto open_started = std::chrono::steady_clock::now();
    auto sinks = soi::make_sinks(config, store, feeds);
    const double open_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - open_started).count();

    const std::vector<Date> days = trading_days(days_n);
    std::vector<Phase> phases(1 + rounds);
    bool failed = false;
    for (std::size_t round = 0; round <= rounds; ++round) {
      for (const Date& date : days) {
        const soi::BarDay day = make_day(date, rows, round + 1);
        const std::int64_t open = day.bars.front().ts_ms;
        const soi::BarPartition partition{"spy", date, std::span<const soi::BarDay>(&day, 1), open,
                                          open + 23'400'000LL, "spy_bars"};
        const soi::RunInfo run{fmt::format("bench-{}", round), 0};
        const double cpu_started = process_cpu_ms();
        const auto started = std::chrono::steady_clock::now();
        const soi::SinkSetResult result = sinks->write(partition, run);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        phases[round].cpu_ms += process_cpu_ms() - cpu_started;
        for (const soi::SoiError& e : result.failures) {
          fmt::print(stderr, "commit of {} failed: {}\n", soi::format_date(date), e.what());
          failed = true;
        }
        Phase& phase = phases[round];
        phase.total.push_back(ms);
        for (const soi::PartitionWriteResult& w : result.written)
          (w.sink == "parquet" ? phase.parquet : phase.duckdb).push_back(w.seconds * 1000);
        if (verbose)
          fmt::print("  round {} {} {:7.1f} ms\n", round, soi::format_date(date), ms);
      }
    }
    const auto close_started = std::chrono::steady_clock::now();
    sinks.reset();
    const double close_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - close_started).count();

    Phase reruns;
    for (std::size_t round = 1; round <= rounds; ++round)
    {
      for (auto [from, to] : {std::pair{&phases[round].total, &reruns.total},
                              std::pair{&phases[round].parquet, &reruns.parquet},
                              std::pair{&phases[round].duckdb, &reruns.duckdb}})
        to->insert(to->end(), from->begin(), from->end());
      reruns.cpu_ms += phases[round].cpu_ms;
    }
    fmt::print("open (schema)      {:7.1f} ms\n", open_ms);
    const auto report = [&](const std::string& title, const Phase& p) {
      if (p.total.empty()) return;
      fmt::print("{:<6} commit      {}  (CPU {:.1f} ms per commit)\n", title, line(summarize(p.total)),
                 p.cpu_ms / static_cast<double>(p.total.size()));
      fmt::print("{:<6}  parquet    {}\n", "", line(summarize(p.parquet)));
      if (!p.duckdb.empty()) fmt::print("{:<6}  duckdb     {}\n", "", line(summarize(p.duckdb)));
    };
    report("first", phases[0]);
    report("rerun", reruns);
    fmt::print("close (sinks)      {:7.1f} ms\n", close_ms);
    if (duckdb) {
      const fs::path db = dir / "processed/consolidated/market.duckdb";
      std::error_code ec;
      fmt::print("database file {:.1f} MiB, WAL {:.1f} MiB after close\n",
                 static_cast<double>(fs::file_size(db, ec)) / 1048576.0,
                 fs::exists(db.string() + ".wal") ? static_cast<double>(fs::file_size(db.string() + ".wal", ec)) / 1048576.0
                                                  : 0.0);
    }
    if (own_dir) fs::remove_all(dir);
    return failed ? 1 : 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "sink_commit_bench: {}\n", e.what());
    if (own_dir) fs::remove_all(dir);
    return 1;
  }
}
