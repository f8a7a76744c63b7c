#include "processing/quarantine.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "utils/error.hpp"
#include "utils/redact.hpp"

namespace soi {
namespace {
namespace fs = std::filesystem;

const Date kDay = *parse_date("2025-01-17");

class QuarantineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("soi_quarantine_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    clear_secrets();
  }
  void TearDown() override {
    fs::remove_all(dir_);
    clear_secrets();
  }
  static std::vector<std::string> lines(const fs::path& p) {
    std::ifstream in(p);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
  fs::path dir_;
};

TEST_F(QuarantineTest, AppendsOneJsonLinePerRecord) {
  {
    QuarantineWriter q(dir_.string());
    q.add("spy", kDay, "SPY", "validation: high < low", R"({"o":1,"h":0.5,"l":2})", "https://api.massive.com/v2/aggs");
    q.add("spy", kDay, "SPY", "validation: negative volume", R"({"v":-1})", "https://api.massive.com/v2/aggs");
    EXPECT_EQ(q.total(), 2u);
  }  // destructor flushes
  const fs::path file = dir_ / "quarantine/spy/date=2025-01-17/records.jsonl";
  const auto all = lines(file);
  ASSERT_EQ(all.size(), 2u);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(all[0]);
  EXPECT_EQ(std::string_view(doc["source"]), "spy");
  EXPECT_EQ(std::string_view(doc["date"]), "2025-01-17");
  EXPECT_EQ(std::string_view(doc["ticker"]), "SPY");
  EXPECT_EQ(std::string_view(doc["reason"]), "validation: high < low");
  EXPECT_EQ(std::string_view(doc["url"]), "https://api.massive.com/v2/aggs");
  EXPECT_EQ(std::string_view(doc["raw"]), R"({"o":1,"h":0.5,"l":2})");
  EXPECT_TRUE(parse_rfc3339_ms(std::string_view(doc["quarantined_at"])).has_value());
}

TEST_F(QuarantineTest, RegisteredSecretNeverReachesTheFile) {
  register_secret("sk_live_SUPERSECRET_9f3a");
  {
    QuarantineWriter q(dir_.string());
    q.add("options", kDay, "O:SPY250117C00590000", "parse: token sk_live_SUPERSECRET_9f3a in body",
          R"({"note":"key=sk_live_SUPERSECRET_9f3a","next_url":"https://x/v2?apiKey=unregistered77"})",
          "https://api.massive.com/v2/aggs?apiKey=sk_live_SUPERSECRET_9f3a&limit=5");
  }
  std::ifstream in(dir_ / "quarantine/options/date=2025-01-17/records.jsonl");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  EXPECT_EQ(text.find("SUPERSECRET"), std::string::npos) << text;
  EXPECT_EQ(text.find("unregistered77"), std::string::npos) << text;
  EXPECT_NE(text.find("****9f3a"), std::string::npos) << text;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(text);  // still valid JSON after masking
  EXPECT_EQ(std::string_view(doc["url"]), "https://api.massive.com/v2/aggs?apiKey=****9f3a&limit=5");
}

TEST_F(QuarantineTest, MalformedRawAndControlCharactersStayValidJson) {
  {
    QuarantineWriter q(dir_.string());
    q.add("spy", kDay, "SPY", "parse: truncated", "{\"o\":1,\"bad\":\"\x01\xff\n", "");
  }
  const auto all = lines(dir_ / "quarantine/spy/date=2025-01-17/records.jsonl");
  ASSERT_EQ(all.size(), 1u);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(all[0]).get(doc), simdjson::SUCCESS) << all[0];
  EXPECT_EQ(std::string_view(doc["raw"]), "{\"o\":1,\"bad\":\"\x01\xEF\xBF\xBD\n");
}

TEST_F(QuarantineTest, CountsBySourceAndReasonCode) {
  QuarantineWriter q(dir_.string());
  q.add("spy", kDay, "SPY", "late_data: record from 2025-01-16 is older", "{}", "");
  q.add("spy", kDay, "SPY", "late_data: record from 2025-01-15 is older", "{}", "");
  q.add("spy", kDay, "SPY", "validation: high < low", "{}", "");
  q.add("vix", kDay, "I:VIX", "no colon reason", "{}", "");
  const auto counts = q.counts();
  EXPECT_EQ(counts.at({"spy", "late_data"}), 2u);
  EXPECT_EQ(counts.at({"spy", "validation"}), 1u);
  EXPECT_EQ(counts.at({"vix", "no colon reason"}), 1u);
  EXPECT_EQ(q.total(), 4u);
  EXPECT_EQ(QuarantineWriter::reason_key("a: b: c"), "a");
}

TEST_F(QuarantineTest, BoundedOpenFilesStillWriteEverything) {
  {
    QuarantineWriter q(dir_.string(), 3);
    for (int round = 0; round < 2; ++round)
      for (int d = 0; d < 10; ++d) q.add("spy", add_days(kDay, d), "SPY", "r", "{}", "");
  }
  for (int d = 0; d < 10; ++d)
    EXPECT_EQ(lines(QuarantineWriter(dir_.string()).partition_file("spy", add_days(kDay, d))).size(), 2u) << d;
}

TEST_F(QuarantineTest, ConcurrentAddsProduceWholeLines) {
  {
    QuarantineWriter q(dir_.string(), 2);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&q, t] {
        for (int i = 0; i < 200; ++i) q.add("spy", add_days(kDay, i % 3), "SPY", "r", std::string(300, 'a' + t), "");
      });
    for (auto& th : threads) th.join();
    q.close();
    EXPECT_EQ(q.total(), 800u);
  }
  std::size_t total = 0;
  simdjson::dom::parser parser;
  for (int d = 0; d < 3; ++d) {
    for (const auto& line :
         lines(dir_ / ("quarantine/spy/date=" + format_date(add_days(kDay, d)) + "/records.jsonl"))) {
      simdjson::dom::element doc;
      ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS);
      ++total;
    }
  }
  EXPECT_EQ(total, 800u);
}

TEST_F(QuarantineTest, SourceCannotEscapeTheQuarantineTree) {
  QuarantineWriter q(dir_.string());
  EXPECT_EQ(q.partition_file("../../etc", kDay), dir_ / "quarantine/.._.._etc/date=2025-01-17/records.jsonl");
  EXPECT_EQ(q.partition_file("..", kDay), dir_ / "quarantine/_/date=2025-01-17/records.jsonl");
}

TEST_F(QuarantineTest, UnwritableDirIsStorageError) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "file") << "x";
  QuarantineWriter q((dir_ / "file").string());
  EXPECT_THROW(q.add("spy", kDay, "SPY", "r", "{}", ""), SoiError);
}

}  // namespace
}  // namespace soi
