// Commit throughput of ClickHouseSink against clickhouse-client, on the same
// throw-away ClickHouse server (tests/support/clickhouse_server.hpp, Debian's
// 18.16) on loopback, in one run:
//
//   1. ClickHouseSink::write of one day of option bars (--contracts x --bars rows):
//      encode RowBinary, gzip, POST into a staging table, REPLACE PARTITION, drop
//      the staging table: the whole commit a backfill or a stream pays;
//   2. clickhouse-client --query "INSERT INTO t (cols) FORMAT TabSeparated" < file,
//      the same rows (exported from the sink's table) into a table of the same
//      structure, emptied before each run: the plain bulk insert of ClickHouse's
//      own client (native protocol, its own compression), process start included.
//
// The cases alternate --repeat times; medians and best runs are reported, and the
// ratio of the sink's rows/s to the client's (goal: at least 0.8). The server
// shares the machine's cores with both clients, so ratios are what compare.
//
// Plain main(), not Google Benchmark. Usage:
//   clickhouse_sink_bench [--contracts 400] [--bars 250] [--repeat 5]
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sinks/clickhouse/clickhouse_sink.hpp"
#include "sinks/clickhouse/gzip_body.hpp"
#include "sinks/clickhouse/row_binary_writer.hpp"
#include "support/clickhouse_server.hpp"
#include "utils/time_util.hpp"

namespace {
namespace fs = std::filesystem;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Day {
  std::vector<soi::BarDay> bars;
  soi::Date date = *soi::parse_date("2025-01-17");
  std::int64_t open_ms = 1737124200000;
};

Day make_day(int contracts, int bars_per_contract) {
  Day day;
  for (int c = 0; c < contracts; ++c) {
    soi::BarDay d;
    d.feed = "options";
    d.date = day.date;
    const bool call = c % 2 == 0;
    const double strike = 560 + c / 2 * 0.5;
    soi::OptionContract k;
    k.ticker = fmt::format("O:SPY250117{}{:08d}", call ? 'C' : 'P', static_cast<int>(strike * 1000));
    k.underlying = "SPY";
    k.type = call ? soi::ContractType::call : soi::ContractType::put;
    k.strike = strike;
    k.expiration = day.date;
    k.exercise_style = "american";
    d.ticker = k.ticker;
    d.contract = k;
    for (int b = 0; b < bars_per_contract; ++b) {
      soi::Bar bar;
      bar.ts_ms = day.open_ms + (static_cast<std::int64_t>(b) * 93 + c) % 23400 * 1000;
      bar.open = 1.0 + b * 0.01;
      bar.high = bar.open + 0.05;
      bar.low = bar.open - 0.05;
      bar.close = bar.open + 0.01;
      bar.volume = 1 + b % 50;
      bar.vwap = bar.open;
      bar.transactions = 1 + b % 7;
      bar.fields = soi::kBarFullFields;
      d.bars.push_back(bar);
    }
    std::sort(d.bars.begin(), d.bars.end(), [](const soi::Bar& a, const soi::Bar& b) { return a.ts_ms < b.ts_ms; });
    d.bars.erase(std::unique(d.bars.begin(), d.bars.end(),
                             [](const soi::Bar& a, const soi::Bar& b) { return a.ts_ms == b.ts_ms; }),
                 d.bars.end());
    day.bars.push_back(std::move(d));
  }
  return day;
}

int run_client(const soi::test::ClickHouseServer& server, const std::string& database, const std::string& insert,
               const fs::path& input) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(input.c_str(), O_RDONLY);
    if (fd < 0) ::_exit(127);
    ::dup2(fd, 0);
    const std::string port = std::to_string(server.tcp_port());
    ::execl("/usr/bin/clickhouse-client", "clickhouse-client", "--host", "127.0.0.1", "--port", port.c_str(),
            "--user", soi::test::kClickHouseUser, "--password", server.password().c_str(), "--database",
            database.c_str(), "--query", insert.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  int contracts = 400, bars = 250, repeat = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--contracts") contracts = std::atoi(argv[i + 1]);
    else if (a == "--bars") bars = std::atoi(argv[i + 1]);
    else if (a == "--repeat") repeat = std::atoi(argv[i + 1]);
  }
  soi::test::ClickHouseServer server;
  try {
    server.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cannot start clickhouse-server: %s\n", e.what());
    return 1;
  }
  const std::string database = "bench";
  soi::ClickHouseEndpoint endpoint;
  endpoint.url = server.url();
  endpoint.user = soi::test::kClickHouseUser;
  endpoint.password = server.password();
  endpoint.password_env = "SOI_CLICKHOUSE_PASSWORD";
  soi::ClickHouseSink sink({endpoint}, soi::sql::clickhouse::Layout{database, ""}, soi::RetryPolicy{}, {"SPY"});

  const Day day = make_day(contracts, bars);
  const soi::BarPartition partition{"options", day.date, day.bars, day.open_ms, day.open_ms + 23'400'000,
                                    "option_bars", &soi::option_bars_dataset()};
  const soi::RunInfo run{"bench", 0};
  const auto first = sink.write(partition, run);
  const std::uint64_t rows = first.rows;

  // The same rows, as TabSeparated, for clickhouse-client; a plain table of the same structure.
  const fs::path tsv = fs::temp_directory_path() / fmt::format("soi_ch_bench_{}.tsv", ::getpid());
  std::string columns;
  for (const std::string& c : soi::option_bars_dataset().column_names(soi::to_partition(partition)))
    columns += (columns.empty() ? "" : ", ") + c;
  std::ofstream(tsv) << server.query("SELECT " + columns + " FROM option_bars FORMAT TabSeparated", database);
  const std::string insert = "INSERT INTO client_bars (" + columns + ") FORMAT TabSeparated";

  // The sink's own share of a commit: encoding the rows and compressing them.
  const soi::Partition generic = soi::to_partition(partition);
  const std::vector<soi::Column> bar_columns = soi::option_bars_dataset().columns(generic);
  std::vector<double> encode_s, gzip_s, sink_s, client_s;
  std::size_t gzip_bytes = 0;
  for (int r = 0; r < repeat; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    soi::RowBinaryWriter writer(bar_columns, "ticker", 1);
    auto cursor = soi::option_bars_dataset().rows(generic, soi::WriteStamp{"bench", 1});
    while (cursor->write_next(writer)) {
    }
    encode_s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    std::string compressed;
    t0 = std::chrono::steady_clock::now();
    soi::gzip_compress(writer.bodies()[0], compressed);
    gzip_s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    gzip_bytes = compressed.size();
  }
  for (int r = 0; r < repeat; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    sink.write(partition, run);
    sink_s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());

    server.query("DROP TABLE IF EXISTS client_bars", database);
    server.query("CREATE TABLE client_bars AS option_bars", database);
    t0 = std::chrono::steady_clock::now();
    if (run_client(server, database, insert, tsv) != 0) {
      std::fprintf(stderr, "clickhouse-client failed\n");
      return 1;
    }
    client_s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    const std::string n = server.query("SELECT count() FROM client_bars", database);
    if (std::stoull(n) != rows) {
      std::fprintf(stderr, "clickhouse-client loaded %s rows, expected %llu\n", n.c_str(),
                   static_cast<unsigned long long>(rows));
      return 1;
    }
  }
  fs::remove(tsv);
  const double sink_rate = static_cast<double>(rows) / median(sink_s);
  const double client_rate = static_cast<double>(rows) / median(client_s);
  std::printf("rows per commit: %llu (%d contracts), RowBinary %.1f MB before gzip\n",
              static_cast<unsigned long long>(rows), contracts, static_cast<double>(first.bytes) / 1e6);
  std::printf("ClickHouseSink::write     median %.3f s  best %.3f s  %9.0f rows/s\n", median(sink_s),
              *std::min_element(sink_s.begin(), sink_s.end()), sink_rate);
  std::printf("clickhouse-client TSV     median %.3f s  best %.3f s  %9.0f rows/s\n", median(client_s),
              *std::min_element(client_s.begin(), client_s.end()), client_rate);
  std::printf("  of which RowBinary encode %.3f s, gzip %.3f s (%.1f MB)\n", median(encode_s), median(gzip_s),
              static_cast<double>(gzip_bytes) / 1e6);
  std::printf("sink / client (medians): %.2f\n", sink_rate / client_rate);
  return 0;
}
