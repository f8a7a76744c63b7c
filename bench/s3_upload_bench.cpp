// Upload throughput of the object-store sink against the command-line curl, both signing with
// libcurl's SigV4, on the same throw-away Swift S3 server (tests/support/swift_server.hpp) on
// loopback:
//
//   1. the sink (S3Store::copy_in, as a mirror uploads a committed partition: the local commit
//      has hashed the file, so its SHA-256 is handed over), one PUT
//   2. the sink, multipart: --part-mib parts, --parallel in flight (the handed SHA-256 is checked
//      beside the parts, before the upload completes)
//   3. and 4. S3Client alone, one PUT and multipart, hashing the file itself (soi sync of an
//      outbox entry, a caller without the hash)
//   5. curl --aws-sigv4 -T file, x-amz-content-sha256 given (its SHA-256 computed beforehand,
//      and reported apart)
//   6. curl -Z: the file cut into the multipart case's pieces, each a separate object, as many
//      in flight (UNSIGNED-PAYLOAD: no hash at all), to show what parallel streams of this size
//      get from this server whoever sends them
//
// The cases run twice: straight to the server on loopback, where nothing holds one connection
// back and every byte costs the shared 2 cores, so parallel streams cannot be faster than one;
// then through bench/paced_link.hpp, a relay that carries each connection at --paced-mb-per-s,
// as one TCP stream to a distant S3 is carried (cases 1, 2, 5 and 6 only).
//
// Each case runs --repeat times in turn (1, 2, ..., 6, 1, 2, ...); the median and the best run
// are reported, with the client's CPU time (this process, or the curl child). Swift runs its
// proxy and object server with --swift-workers worker processes each (0: one process), and
// shares the machine's cores and disk with the client, so the figures are those of this server
// as much as of the client, and a shared machine makes single runs vary: the ratios of the
// medians are what compare.
//
// Plain main(), not Google Benchmark: one upload of a 200 MB file is the unit of work.
// --benchmark_* flags are accepted and ignored. Usage:
//   s3_upload_bench [--mb 200] [--part-mib 16] [--parallel 4] [--repeat 5] [--swift-workers 2]
//                   [--paced-mb-per-s 25]   (0: loopback only)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sinks/store/s3_client.hpp"
#include "sinks/store/s3_store.hpp"
#include "paced_link.hpp"
#include "support/swift_server.hpp"
#include "utils/file_digest.hpp"

namespace {
namespace fs = std::filesystem;

struct Sample {
  double seconds = 0;
  double cpu_seconds = 0;
};

double cpu_of(int who) {
  rusage usage{};
  ::getrusage(who, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

Sample timed(int who, const std::function<void()>& work) {
  const double cpu0 = cpu_of(who);
  const auto t0 = std::chrono::steady_clock::now();
  work();
  const auto t1 = std::chrono::steady_clock::now();
  return {std::chrono::duration<double>(t1 - t0).count(), cpu_of(who) - cpu0};
}

struct Summary {
  Sample median;
  Sample best;
};

Summary summarize(std::vector<Sample> samples) {
  std::sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) { return a.seconds < b.seconds; });
  return {samples[samples.size() / 2], samples.front()};
}

void write_random_file(const fs::path& path, std::uint64_t bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::mt19937_64 rng(20261204);
  std::vector<std::uint64_t> block(1 << 17);  // 1 MiB
  for (std::uint64_t written = 0; written < bytes;) {
    for (auto& word : block) word = rng();
    const std::uint64_t n = std::min<std::uint64_t>(bytes - written, block.size() * sizeof(std::uint64_t));
    out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(n));
    written += n;
  }
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

// curl, as a user would run it; returns its exit status.
int run_curl(const std::vector<std::string>& args) {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// One link's measurements: every case --repeat times in turn, then its table.
struct Link {
  std::string name;
  std::string endpoint;  // http://127.0.0.1:PORT: the server, or a paced relay to it
  bool with_hashing_cases = true;
};

struct Setup {
  fs::path file, netrc;
  std::uint64_t bytes = 0, part_mib = 0;
  int parallel = 0, repeat = 0;
  std::string sha256, region;
  std::vector<fs::path> pieces;
  soi::S3Credentials credentials;
  Sample hash;
};

void measure(const Link& link, const Setup& setup) {
  soi::S3ClientOptions single;
  single.endpoint = link.endpoint;
  single.region = setup.region;
  single.bucket = "bench";
  single.multipart_threshold = setup.bytes + 1;
  soi::S3ClientOptions parts = single;
  parts.multipart_threshold = setup.part_mib << 20;
  parts.part_size = setup.part_mib << 20;
  parts.parallel_parts = setup.parallel;
  soi::S3Store single_sink({single, "sink", setup.file.parent_path() / "staging"}, setup.credentials);
  soi::S3Store parts_sink({parts, "sink", setup.file.parent_path() / "staging"}, setup.credentials);
  soi::S3Client single_client(single, setup.credentials);
  soi::S3Client parts_client(parts, setup.credentials);

  const std::vector<std::string> curl_common = {"curl", "-sS", "--fail", "--aws-sigv4",
                                                "aws:amz:" + setup.region + ":s3", "--netrc-file",
                                                setup.netrc.string(), "-H", "Content-Type: application/octet-stream"};
  std::vector<std::string> curl_single = curl_common;
  for (const std::string& arg : {std::string("-H"), "x-amz-content-sha256: " + setup.sha256, std::string("-o"),
                                 std::string("/dev/null"), std::string("-T"), setup.file.string(),
                                 link.endpoint + "/bench/curl.bin"})
    curl_single.push_back(arg);
  std::vector<std::string> curl_pieces = curl_common;
  for (const std::string& arg : {std::string("--no-progress-meter"), std::string("-Z"), std::string("--parallel-max"),
                                 std::to_string(setup.parallel), std::string("-H"),
                                 std::string("x-amz-content-sha256: UNSIGNED-PAYLOAD")})
    curl_pieces.push_back(arg);
  for (const fs::path& piece : setup.pieces) {
    for (const std::string& arg : {std::string("-o"), std::string("/dev/null"), std::string("-T"), piece.string(),
                                   link.endpoint + "/bench/" + piece.filename().string()})
      curl_pieces.push_back(arg);
  }

  std::vector<Sample> sink_single_runs, sink_parts_runs, single_runs, parts_runs, curl_runs, curl_pieces_runs;
  for (int round = 0; round < setup.repeat; ++round) {
    sink_single_runs.push_back(timed(RUSAGE_SELF, [&] { single_sink.copy_in("single.bin", setup.file, setup.sha256); }));
    sink_parts_runs.push_back(timed(RUSAGE_SELF, [&] { parts_sink.copy_in("parts.bin", setup.file, setup.sha256); }));
    if (link.with_hashing_cases) {
      single_runs.push_back(timed(RUSAGE_SELF, [&] { single_client.put_file("single.bin", setup.file); }));
      parts_runs.push_back(timed(RUSAGE_SELF, [&] { parts_client.put_file("parts.bin", setup.file); }));
    }
    curl_runs.push_back(timed(RUSAGE_CHILDREN, [&] {
      if (const int status = run_curl(curl_single); status != 0)
        throw std::runtime_error(fmt::format("curl exited with {}", status));
    }));
    curl_pieces_runs.push_back(timed(RUSAGE_CHILDREN, [&] {
      if (const int status = run_curl(curl_pieces); status != 0)
        throw std::runtime_error(fmt::format("curl -Z exited with {}", status));
    }));
  }
  // Every upload landed whole.
  for (const char* key : {"sink/single.bin", "sink/parts.bin", "curl.bin"}) {
    const auto info = single_client.head(key);
    if (!info || info->bytes != setup.bytes) throw std::runtime_error(fmt::format("{} was not stored whole", key));
  }
  if (single_client.head("sink/parts.bin")->sha256 != setup.sha256)
    throw std::runtime_error("the multipart object does not carry the file's SHA-256");

  const auto rate = [&](double seconds) { return static_cast<double>(setup.bytes) / 1e6 / seconds; };
  fmt::print("\n{}\n{:<58} {:>8} {:>8} {:>9} {:>8}\n", link.name, "case", "median s", "MB/s", "best MB/s", "CPU s");
  const auto row = [&](const std::string& name, const std::vector<Sample>& samples) {
    const Summary x = summarize(samples);
    fmt::print("{:<58} {:>8.2f} {:>8.1f} {:>9.1f} {:>8.2f}   runs:", name, x.median.seconds, rate(x.median.seconds),
               rate(x.best.seconds), x.median.cpu_seconds);
    for (const auto& r : samples) fmt::print(" {:.2f}", r.seconds);
    fmt::print("\n");
  };
  const std::string multipart = fmt::format("multipart, {} MiB parts x {} in flight", setup.part_mib, setup.parallel);
  row("sink (S3Store::copy_in, hash handed over), one PUT", sink_single_runs);
  row("sink, " + multipart, sink_parts_runs);
  if (link.with_hashing_cases) {
    row("S3Client hashing the file itself, one PUT", single_runs);
    row("S3Client hashing the file itself, " + multipart, parts_runs);
  }
  row("curl --aws-sigv4 -T (hash given)", curl_runs);
  row(fmt::format("curl -Z: {} pieces of {} MiB, {} in flight, no hash", setup.pieces.size(), setup.part_mib,
                  setup.parallel),
      curl_pieces_runs);
  const Summary c = summarize(curl_runs), cz = summarize(curl_pieces_runs);
  const auto ratio = [&](const char* name, const std::vector<Sample>& samples, const Summary& base) {
    const Summary x = summarize(samples);
    fmt::print("  {:<50} {:.2f}x (best {:.2f}x)\n", name, base.median.seconds / x.median.seconds,
               base.best.seconds / x.best.seconds);
  };
  fmt::print("throughput ratios (medians):\n");
  ratio("sink one PUT / curl", sink_single_runs, c);
  ratio("sink multipart / curl", sink_parts_runs, c);
  ratio("sink multipart / curl -Z on the same pieces", sink_parts_runs, cz);
  if (link.with_hashing_cases) {
    ratio("S3Client hashing, one PUT / curl", single_runs, c);
    ratio("S3Client hashing, multipart / curl", parts_runs, c);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t mb = 200, part_mib = 16;
  int parallel = 4, repeat = 5, swift_workers = 2;
  double paced_mb_per_s = 25;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--mb" && i + 1 < argc) mb = std::stoull(argv[++i]);
    else if (arg == "--part-mib" && i + 1 < argc) part_mib = std::stoull(argv[++i]);
    else if (arg == "--parallel" && i + 1 < argc) parallel = std::stoi(argv[++i]);
    else if (arg == "--repeat" && i + 1 < argc) repeat = std::max(1, std::stoi(argv[++i]));
    else if (arg == "--swift-workers" && i + 1 < argc) swift_workers = std::stoi(argv[++i]);
    else if (arg == "--paced-mb-per-s" && i + 1 < argc) paced_mb_per_s = std::stod(argv[++i]);
    else if (!arg.starts_with("--benchmark_")) fmt::print(stderr, "ignoring unknown argument {}\n", arg);
  }
  std::string loadavg;
  std::getline(std::ifstream("/proc/loadavg"), loadavg);
  fmt::print("S3 upload of a {} MB random file to Swift's S3 API on loopback ({} workers), median of {} (load "
             "average {})\n",
             mb, swift_workers, repeat, loadavg);

  soi::test::SwiftServer server;
  server.set_workers(swift_workers);
  Setup setup;
  setup.bytes = mb * 1000 * 1000;
  setup.part_mib = part_mib;
  setup.parallel = parallel;
  setup.repeat = repeat;
  const fs::path dir = fs::temp_directory_path() / fmt::format("soi_s3_bench_{}", ::getpid());
  int rc = 0;
  try {
    server.start();
    server.create_bucket("bench");
    setup.region = server.region();
    setup.credentials = {server.access_key(), server.secret_key(), ""};
    fs::create_directories(dir);
    setup.file = dir / "upload.bin";
    write_random_file(setup.file, setup.bytes);
    // curl needs the payload hash up front; the sink is handed it as a mirror is by the local commit.
    setup.hash = timed(RUSAGE_SELF, [&] { setup.sha256 = soi::sha256_file_hex(setup.file); });
    fmt::print("SHA-256 of the file (what curl and the sink are handed): {:.2f} s, {:.0f} MB/s\n",
               setup.hash.seconds, static_cast<double>(setup.bytes) / 1e6 / setup.hash.seconds);
    // The multipart case's pieces as files, for curl -Z.
    {
      std::ifstream in(setup.file, std::ios::binary);
      std::vector<char> buffer(part_mib << 20);
      while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
        setup.pieces.push_back(dir / fmt::format("piece_{:03}", setup.pieces.size() + 1));
        std::ofstream(setup.pieces.back(), std::ios::binary).write(buffer.data(), in.gcount());
      }
    }
    // The access key holds a ':' ("account:user"): --user would cut it there, a netrc does not.
    setup.netrc = dir / "netrc";
    std::ofstream(setup.netrc) << "machine 127.0.0.1 login " << server.access_key() << " password "
                               << server.secret_key() << "\n";
    fs::permissions(setup.netrc, fs::perms::owner_read | fs::perms::owner_write);

    measure({"Loopback, straight to the server", server.endpoint(), true}, setup);
    if (paced_mb_per_s > 0) {
      soi::bench::PacedLink link(server.port(), paced_mb_per_s * 1e6);
      const int port = link.start();
      measure({fmt::format("Through a link carrying each connection at {} MB/s (bench/paced_link.hpp)", paced_mb_per_s),
               fmt::format("http://127.0.0.1:{}", port), false},
              setup);
      link.stop();
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "s3_upload_bench failed: {}\n{}", e.what(), server.log_tail(10));
    rc = 1;
  }
  server.stop();
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  return rc;
}
