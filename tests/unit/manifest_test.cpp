#include "sinks/manifest.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "utils/error.hpp"
#include "utils/redact.hpp"

namespace soi {
namespace {
namespace fs = std::filesystem;

class ManifestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("soi_manifest_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    clear_secrets();
  }
  void TearDown() override {
    fs::remove_all(dir_);
    clear_secrets();
  }
  static std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static PartitionWriteResult part(std::string date, std::uint64_t rows, std::string location = "/d/data.parquet") {
    return PartitionWriteResult{"parquet", "spy",     std::move(date),      std::move(location),
                                rows,      rows * 10, std::string(64, 'a'), 0.25};
  }
  fs::path dir_;
};

constexpr std::int64_t kStart = 1737108902000;  // 2025-01-17T10:15:02Z

TEST_F(ManifestTest, WritesJsonAndAppendsRunsLine) {
  RunManifest m(dir_.string(), "20250117T101502Z-3f9a", "soi backfill --from 2025-01-02", kStart);
  m.add(part("2025-01-02", 100));
  m.add(part("2025-01-03", 50));
  const fs::path path = m.write(RunStatus::ok, kStart + 61500);
  EXPECT_EQ(path, dir_ / "manifests" / "20250117T101502Z-3f9a.json");

  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.load(path.string());
  EXPECT_EQ(std::string_view(doc["run_id"]), "20250117T101502Z-3f9a");
  EXPECT_EQ(std::string_view(doc["status"]), "ok");
  EXPECT_EQ(std::string_view(doc["started_at"]), "2025-01-17T10:15:02.000Z");
  EXPECT_EQ(std::string_view(doc["finished_at"]), "2025-01-17T10:16:03.500Z");
  EXPECT_DOUBLE_EQ(double(doc["duration_seconds"]), 61.5);
  EXPECT_EQ(std::uint64_t(doc["totals"]["partitions"]), 2u);
  EXPECT_EQ(std::uint64_t(doc["totals"]["rows"]), 150u);
  EXPECT_EQ(std::uint64_t(doc["totals"]["bytes"]), 1500u);
  EXPECT_DOUBLE_EQ(double(doc["totals"]["seconds"]), 0.5);
  simdjson::dom::array parts = doc["partitions"];
  ASSERT_EQ(parts.size(), 2u);
  simdjson::dom::element first = parts.at(0);
  EXPECT_EQ(std::string_view(first["sink"]), "parquet");
  EXPECT_EQ(std::string_view(first["feed"]), "spy");
  EXPECT_EQ(std::string_view(first["date"]), "2025-01-02");
  EXPECT_EQ(std::string_view(first["location"]), "/d/data.parquet");
  EXPECT_EQ(std::uint64_t(first["rows"]), 100u);
  EXPECT_EQ(std::string_view(first["sha256"]).size(), 64u);

  // A second run appends a second line to runs.jsonl; each line is one JSON document.
  RunManifest second(dir_.string(), "20250117T120000Z-0001", "soi backfill", kStart);
  second.write(RunStatus::failed, kStart + 1000);
  std::ifstream in(dir_ / "manifests" / "runs.jsonl");
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  ASSERT_EQ(lines.size(), 2u);
  simdjson::dom::element l0 = parser.parse(lines[0]);
  EXPECT_EQ(std::string_view(l0["run_id"]), "20250117T101502Z-3f9a");
  EXPECT_EQ(std::uint64_t(l0["totals"]["rows"]), 150u);
  simdjson::dom::element l1 = parser.parse(lines[1]);
  EXPECT_EQ(std::string_view(l1["status"]), "failed");
  EXPECT_EQ(simdjson::dom::array(l1["partitions"]).size(), 0u);
  // No temp file is left behind by the atomic write.
  for (const auto& e : fs::directory_iterator(dir_ / "manifests"))
    EXPECT_NE(e.path().filename().string()[0], '.') << e.path();
}

TEST_F(ManifestTest, EscapesAndRedacts) {
  register_secret("SECRETKEY123456");
  RunManifest m(dir_.string(), "run-1", "soi backfill --note \"a\tb\\c\" --key SECRETKEY123456", kStart);
  m.add(part("2025-01-02", 1, "/data/we\"ird\\path\n.parquet"));
  const std::string json = m.to_json(RunStatus::partial, kStart, false);
  EXPECT_EQ(json.find("SECRETKEY123456"), std::string::npos);
  EXPECT_NE(json.find("****3456"), std::string::npos);
  EXPECT_EQ(json.find('\n'), std::string::npos);  // one line for runs.jsonl
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json);
  EXPECT_EQ(std::string_view(doc["command_line"]), "soi backfill --note \"a\tb\\c\" --key ****3456");
  EXPECT_EQ(std::string_view(doc["partitions"].at(0)["location"]), "/data/we\"ird\\path\n.parquet");
  EXPECT_EQ(std::string_view(doc["status"]), "partial");
}

TEST_F(ManifestTest, RecordsWhatEachSinkFailedToWriteRedacted) {
  register_secret("SECRETKEY123456");
  RunManifest m(dir_.string(), "run-1", "soi backfill", kStart);
  m.add(part("2025-01-02", 1));
  m.add_failure(PartitionFailure{"postgres", "spy", "2025-01-02", "storage", "server gone (password SECRETKEY123456)"});
  m.add_failure(PartitionFailure{"parquet", "news", "2025-01-03", "storage", "disk full"});
  const std::string json = m.to_json(RunStatus::partial, kStart, false);
  EXPECT_EQ(json.find("SECRETKEY123456"), std::string::npos);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json);
  simdjson::dom::array failed = doc["failures"];
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_EQ(std::string_view(failed.at(0)["sink"]), "postgres");
  EXPECT_EQ(std::string_view(failed.at(0)["error"]), "server gone (password ****3456)");
  EXPECT_EQ(std::string_view(failed.at(1)["feed"]), "news");
  EXPECT_EQ(std::string_view(failed.at(1)["date"]), "2025-01-03");
  EXPECT_EQ(std::string_view(failed.at(1)["category"]), "storage");
  EXPECT_EQ(std::uint64_t(doc["totals"]["partitions"]), 1u);  // totals count what was written

  RunManifest clean(dir_.string(), "run-2", "soi backfill", kStart);
  simdjson::dom::element none = parser.parse(clean.to_json(RunStatus::ok, kStart, true));
  EXPECT_EQ(simdjson::dom::array(none["failures"]).size(), 0u);
}

TEST_F(ManifestTest, JoinCommandLineQuotesAndMasksSensitiveOptions) {
  const char* argv[] = {"soi",
                        "backfill",
                        "--api-key",
                        "abcdefgh1234",
                        "--db-password=hunter2pw",
                        "--note",
                        "two words",
                        "--url",
                        "https://x/v2?apiKey=zzzzyyyy9876"};
  const std::string line = RunManifest::join_command_line(9, argv);
  EXPECT_EQ(line.find("abcdefgh1234"), std::string::npos);
  EXPECT_EQ(line.find("hunter2pw"), std::string::npos);
  EXPECT_EQ(line.find("zzzzyyyy9876"), std::string::npos);
  EXPECT_NE(line.find("--api-key '****1234'"), std::string::npos) << line;
  EXPECT_NE(line.find("'two words'"), std::string::npos) << line;
  EXPECT_EQ(line.substr(0, 13), "soi backfill ");
}

TEST_F(ManifestTest, ConcurrentAddsAreAllRecorded) {
  RunManifest m(dir_.string(), "run-2", "soi", kStart);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&m] {
      for (int i = 0; i < 250; ++i) m.add(PartitionWriteResult{"parquet", "options", "2025-01-02", "x", 2, 3, "", 0});
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(m.partitions().size(), 1000u);
  EXPECT_EQ(m.totals().rows, 2000u);
  EXPECT_EQ(m.totals().bytes, 3000u);
}

TEST_F(ManifestTest, RejectsRunIdThatIsNotAFileName) {
  EXPECT_THROW(RunManifest(dir_.string(), "../x", "soi", kStart), SoiError);
  EXPECT_THROW(RunManifest(dir_.string(), "", "soi", kStart), SoiError);
}

TEST_F(ManifestTest, UnwritableDataDirIsStorageError) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "file") << "x";
  RunManifest m((dir_ / "file").string(), "run-3", "soi", kStart);
  try {
    m.write(RunStatus::ok, kStart);
    FAIL() << "expected SoiError";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
    EXPECT_NE(e.message().find((dir_ / "file").string()), std::string::npos) << e.message();
  }
}

}  // namespace
}  // namespace soi
