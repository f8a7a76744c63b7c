// Upload throughput of S3Client against the command-line curl, both signing with libcurl's
// SigV4, on the same throw-away Swift S3 server (tests/support/swift_server.hpp) on loopback:
//
//   1. S3Client, one PUT (multipart threshold above the file's size)
//   2. S3Client, multipart: --part-mib parts, --parallel in flight
//   3. curl --aws-sigv4 -T file, x-amz-content-sha256 given (its SHA-256 computed beforehand,
//      and reported apart: curl is handed the hash, S3Client computes it, and Content-MD5 too)
//   4. curl -Z: the file cut into the multipart case's pieces, each a separate object, as many
//      in flight (UNSIGNED-PAYLOAD: no hash at all), to show what parallel streams of this size
//      get from this server whoever sends them
//   5. and 6. cases 1 and 2 with content_md5 off
//
// Each case runs --repeat times in turn (1, 2, 3, 1, 2, 3, ...); the median and the best run are
// reported, with the client's CPU time (S3Client: this process; curl: the child). Swift (a
// Python proxy and an object server that fsyncs what it stores) shares the machine's cores and
// disk with the client, so the figures are those of this server as much as of the client, and a
// shared machine makes single runs vary: the ratios of the medians and of the best runs are what
// compare.
//
// Plain main(), not Google Benchmark: one upload of a 200 MB file is the unit of work.
// --benchmark_* flags are accepted and ignored. Usage:
//   s3_upload_bench [--mb 200] [--part-mib 16] [--parallel 4] [--repeat 5]
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

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t mb = 200, part_mib = 16;
  int parallel = 4, repeat = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--mb" && i + 1 < argc) mb = std::stoull(argv[++i]);
    else if (arg == "--part-mib" && i + 1 < argc) part_mib = std::stoull(argv[++i]);
    else if (arg == "--parallel" && i + 1 < argc) parallel = std::stoi(argv[++i]);
    else if (arg == "--repeat" && i + 1 < argc) repeat = std::max(1, std::stoi(argv[++i]));
    else if (!arg.starts_with("--benchmark_")) fmt::print(stderr, "ignoring unknown argument {}\n", arg);
  }
  const std::uint64_t bytes = mb * 1000 * 1000;
  std::string loadavg;
  std::getline(std::ifstream("/proc/loadavg"), loadavg);
  fmt::print("S3 upload of a {} MB random file to Swift's S3 API on loopback, median of {} (load average {})\n", mb,
             repeat, loadavg);

  soi::test::SwiftServer server;
  const fs::path dir = fs::temp_directory_path() / fmt::format("soi_s3_bench_{}", ::getpid());
  int rc = 0;
  try {
    server.start();
    server.create_bucket("bench");
    fs::create_directories(dir);
    const fs::path file = dir / "upload.bin";
    write_random_file(file, bytes);

    // curl needs the payload hash up front, as S3Client computes it itself.
    std::string sha256;
    const Sample hash = timed(RUSAGE_SELF, [&] { sha256 = soi::sha256_file_hex(file); });
    // The multipart case's pieces as files, for curl -Z.
    std::vector<fs::path> pieces;
    {
      std::ifstream in(file, std::ios::binary);
      std::vector<char> buffer(part_mib << 20);
      while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
        pieces.push_back(dir / fmt::format("piece_{:03}", pieces.size() + 1));
        std::ofstream(pieces.back(), std::ios::binary).write(buffer.data(), in.gcount());
      }
    }
    // The access key holds a ':' ("account:user"): --user would cut it there, a netrc does not.
    const fs::path netrc = dir / "netrc";
    std::ofstream(netrc) << "machine 127.0.0.1 login " << server.access_key() << " password " << server.secret_key()
                         << "\n";
    fs::permissions(netrc, fs::perms::owner_read | fs::perms::owner_write);

    soi::S3ClientOptions single;
    single.endpoint = server.endpoint();
    single.region = server.region();
    single.bucket = "bench";
    single.multipart_threshold = bytes + 1;
    soi::S3ClientOptions parts = single;
    parts.multipart_threshold = part_mib << 20;
    parts.part_size = part_mib << 20;
    parts.parallel_parts = parallel;
    const soi::S3Credentials credentials{server.access_key(), server.secret_key(), ""};
    soi::S3ClientOptions single_no_md5 = single, parts_no_md5 = parts;
    single_no_md5.content_md5 = parts_no_md5.content_md5 = false;
    soi::S3Client single_client(single, credentials);
    soi::S3Client parts_client(parts, credentials);
    soi::S3Client single_sha_client(single_no_md5, credentials);
    soi::S3Client parts_sha_client(parts_no_md5, credentials);

    std::vector<std::string> curl_pieces = {"curl", "-sS", "--no-progress-meter", "--fail", "-Z", "--parallel-max", std::to_string(parallel),
                                            "--aws-sigv4", "aws:amz:" + server.region() + ":s3", "--netrc-file",
                                            netrc.string(), "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "-H",
                                            "Content-Type: application/octet-stream"};
    for (const fs::path& piece : pieces) {
      for (const std::string& arg : {std::string("-o"), std::string("/dev/null"), std::string("-T"), piece.string(),
                                     server.endpoint() + "/bench/" + piece.filename().string()})
        curl_pieces.push_back(arg);
    }

    std::vector<Sample> single_runs, parts_runs, single_sha_runs, parts_sha_runs, curl_runs, curl_pieces_runs;
    std::string single_etag, parts_etag;
    for (int round = 0; round < repeat; ++round) {
      single_runs.push_back(timed(RUSAGE_SELF, [&] { single_etag = single_client.put_file("single.bin", file).etag; }));
      parts_runs.push_back(timed(RUSAGE_SELF, [&] { parts_etag = parts_client.put_file("parts.bin", file).etag; }));
      single_sha_runs.push_back(timed(RUSAGE_SELF, [&] { single_sha_client.put_file("single-sha.bin", file); }));
      parts_sha_runs.push_back(timed(RUSAGE_SELF, [&] { parts_sha_client.put_file("parts-sha.bin", file); }));
      curl_runs.push_back(timed(RUSAGE_CHILDREN, [&] {
        const int status = run_curl({"curl", "-sS", "--fail", "-o", "/dev/null", "--aws-sigv4", "aws:amz:" + server.region() + ":s3",
                                     "--netrc-file", netrc.string(), "-H", "x-amz-content-sha256: " + sha256, "-H",
                                     "Content-Type: application/octet-stream", "-T", file.string(),
                                     server.endpoint() + "/bench/curl.bin"});
        if (status != 0) throw std::runtime_error(fmt::format("curl exited with {}", status));
      }));
      curl_pieces_runs.push_back(timed(RUSAGE_CHILDREN, [&] {
        const int status = run_curl(curl_pieces);
        if (status != 0) throw std::runtime_error(fmt::format("curl -Z exited with {}", status));
      }));
    }
    // Every upload landed whole.
    for (const char* key : {"single.bin", "parts.bin", "single-sha.bin", "parts-sha.bin", "curl.bin"}) {
      const auto info = single_client.head(key);
      if (!info || info->bytes != bytes) throw std::runtime_error(fmt::format("{} was not stored whole", key));
    }

    const Summary s = summarize(single_runs), p = summarize(parts_runs), c = summarize(curl_runs);
    const Summary s2 = summarize(single_sha_runs), p2 = summarize(parts_sha_runs), cz = summarize(curl_pieces_runs);
    const auto rate = [&](double seconds) { return static_cast<double>(bytes) / 1e6 / seconds; };
    fmt::print("{:<52} {:>8} {:>8} {:>9} {:>8}\n", "case", "median s", "MB/s", "best MB/s", "CPU s");
    const auto row = [&](const std::string& name, const Summary& x) {
      fmt::print("{:<52} {:>8.2f} {:>8.1f} {:>9.1f} {:>8.2f}\n", name, x.median.seconds, rate(x.median.seconds),
                 rate(x.best.seconds), x.median.cpu_seconds);
    };
    row("S3Client, one PUT (SHA-256 + MD5, then upload)", s);
    row(fmt::format("S3Client, multipart {} MiB parts x {} in flight", part_mib, parallel), p);
    row("S3Client, one PUT, content_md5 off", s2);
    row("S3Client, multipart as above, content_md5 off", p2);
    row("curl --aws-sigv4 -T (hash given)", c);
    row(fmt::format("curl -Z: {} pieces of {} MiB, {} in flight, no hash", pieces.size(), part_mib, parallel), cz);
    fmt::print("{:<52} {:>8.2f} {:>8.1f} {:>9} {:>8.2f}\n", "  SHA-256 of the file, which curl was handed", hash.seconds,
               rate(hash.seconds), "", hash.cpu_seconds);
    const auto ratios = [&](const char* what, double curl_median, double curl_best) {
      fmt::print("throughput vs {}: one PUT {:.2f}x (best {:.2f}x), multipart {:.2f}x ({:.2f}x); content_md5 off: "
                 "{:.2f}x ({:.2f}x), {:.2f}x ({:.2f}x)\n",
                 what, curl_median / s.median.seconds, curl_best / s.best.seconds, curl_median / p.median.seconds,
                 curl_best / p.best.seconds, curl_median / s2.median.seconds, curl_best / s2.best.seconds,
                 curl_median / p2.median.seconds, curl_best / p2.best.seconds);
    };
    ratios("curl", c.median.seconds, c.best.seconds);
    fmt::print("multipart vs curl -Z pieces: {:.2f}x (best {:.2f}x); content_md5 off: {:.2f}x ({:.2f}x)\n",
               cz.median.seconds / p.median.seconds, cz.best.seconds / p.best.seconds,
               cz.median.seconds / p2.median.seconds, cz.best.seconds / p2.best.seconds);
    ratios("curl + SHA-256", c.median.seconds + hash.seconds, c.best.seconds + hash.seconds);
    const auto runs = [](const char* name, const std::vector<Sample>& samples) {
      fmt::print("{}", name);
      for (const auto& r : samples) fmt::print(" {:.2f}", r.seconds);
    };
    runs("all runs (s): one PUT", single_runs);
    runs(", multipart", parts_runs);
    runs(", one PUT without MD5", single_sha_runs);
    runs(", multipart without MD5", parts_sha_runs);
    runs(", curl", curl_runs);
    runs(", curl -Z pieces", curl_pieces_runs);
    fmt::print("\netags: one PUT {}, multipart {}\n", single_etag, parts_etag);
  } catch (const std::exception& e) {
    fmt::print(stderr, "s3_upload_bench failed: {}\n{}", e.what(), server.log_tail(10));
    rc = 1;
  }
  server.stop();
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  return rc;
}
