#include "processing/schema_drift.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "utils/redact.hpp"

namespace soi {
namespace {
namespace fs = std::filesystem;

const Date kDay = *parse_date("2025-01-17");

class SchemaDriftTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("soi_drift_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    clear_secrets();
  }
  void TearDown() override {
    fs::remove_all(dir_);
    clear_secrets();
  }
  SchemaDriftTracker::AlertCallback collect() {
    return [this](const DriftAlert& a) { alerts_.push_back(a); };
  }
  fs::path dir_;
  std::vector<DriftAlert> alerts_;
};

TEST_F(SchemaDriftTest, OneAlertPerSourcePerDayAndCounts) {
  SchemaDriftTracker t(dir_.string(), collect());
  for (int i = 0; i < 1000; ++i) t.observe("spy", kDay, "results[].zz", DriftKind::unknown_field, "{\"zz\":1}");
  t.observe("spy", kDay, "results[].vw", DriftKind::missing_optional_field, "");  // new field, same source/day
  t.observe("vix", kDay, "results[].zz", DriftKind::unknown_field, "1");          // other source: its own alert
  ASSERT_EQ(alerts_.size(), 2u);
  EXPECT_EQ(alerts_[0].source, "spy");
  EXPECT_EQ(alerts_[0].date, "2025-01-17");
  EXPECT_EQ(alerts_[0].field, "results[].zz");
  EXPECT_EQ(alerts_[0].kind, DriftKind::unknown_field);
  EXPECT_NE(alerts_[0].message.find("schema drift in spy on 2025-01-17"), std::string::npos) << alerts_[0].message;
  EXPECT_EQ(alerts_[1].source, "vix");

  // The next trading day raises one new alert for the same drift.
  t.observe("spy", add_days(kDay, 3), "results[].zz", DriftKind::unknown_field, "{\"zz\":2}");
  t.observe("spy", add_days(kDay, 3), "results[].zz", DriftKind::unknown_field, "{\"zz\":3}");
  ASSERT_EQ(alerts_.size(), 3u);
  EXPECT_EQ(alerts_[2].date, "2025-01-20");
  EXPECT_EQ(t.alerts_raised(), 3u);

  EXPECT_EQ(t.count("spy", "results[].zz", DriftKind::unknown_field), 1002u);
  EXPECT_EQ(t.count("spy", "results[].vw", DriftKind::missing_optional_field), 1u);
  EXPECT_EQ(t.count("spy", "results[].zz", DriftKind::type_changed), 0u);
  const auto entries = t.entries();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].source, "spy");
  EXPECT_EQ(entries[0].field, "results[].vw");
  EXPECT_EQ(entries[1].example, "{\"zz\":1}");  // the first example is kept
  EXPECT_EQ(entries[1].last_date, "2025-01-20");
  EXPECT_GT(entries[1].first_seen_ms, 0);
}

TEST_F(SchemaDriftTest, ExampleIsRedactedAndTruncated) {
  register_secret("topsecretvalue42");
  SchemaDriftTracker t(dir_.string(), collect());
  const std::string example = "{\"k\":\"topsecretvalue42\",\"pad\":\"" + std::string(500, 'x') + "\u00e9\"}";
  t.observe("spy", kDay, "envelope.k", DriftKind::unknown_field, example);
  const auto entries = t.entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].example.find("topsecretvalue42"), std::string::npos);
  EXPECT_NE(entries[0].example.find("****ue42"), std::string::npos);
  EXPECT_LE(entries[0].example.size(), SchemaDriftTracker::kMaxExampleBytes);
  ASSERT_EQ(alerts_.size(), 1u);
  EXPECT_EQ(alerts_[0].message.find("topsecretvalue42"), std::string::npos);
}

TEST_F(SchemaDriftTest, FlushPersistsAndReloads) {
  {
    SchemaDriftTracker t(dir_.string(), collect());
    t.observe("spy", kDay, "results[].zz", DriftKind::unknown_field, "\"quoted\" \\ value");
    t.observe("spy", kDay, "results[].zz", DriftKind::unknown_field, "x");
    t.observe("options", kDay, "results[].n", DriftKind::type_changed, "\"12\"");
    t.flush();
  }
  const fs::path file = dir_ / "logs/errors/schema_drift.json";
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.load(file.string());
  simdjson::dom::array entries = doc["entries"];
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(std::string_view(entries.at(1)["example"]), "\"quoted\" \\ value");
  EXPECT_EQ(std::uint64_t(entries.at(1)["count"]), 2u);
  EXPECT_EQ(std::string_view(entries.at(0)["kind"]), "type_changed");
  EXPECT_EQ(std::string_view(doc["last_alert"]["spy"]), "2025-01-17");

  // A new run keeps first_seen/counts and does not alert again the same day.
  SchemaDriftTracker reloaded(dir_.string(), collect());
  const std::size_t before = alerts_.size();
  reloaded.observe("spy", kDay, "results[].zz", DriftKind::unknown_field, "y");
  EXPECT_EQ(alerts_.size(), before);
  EXPECT_EQ(reloaded.count("spy", "results[].zz", DriftKind::unknown_field), 3u);
  EXPECT_EQ(reloaded.entries()[1].example, "\"quoted\" \\ value");
  reloaded.flush();  // rewrite is atomic: no temp file left
  for (const auto& e : fs::directory_iterator(file.parent_path())) EXPECT_EQ(e.path().filename(), "schema_drift.json");
}

TEST_F(SchemaDriftTest, CorruptRegistryIsMovedAsideNotOverwritten) {
  fs::create_directories(dir_ / "logs/errors");
  std::ofstream(dir_ / "logs/errors/schema_drift.json") << "{not json";
  SchemaDriftTracker t(dir_.string(), collect());
  EXPECT_TRUE(t.entries().empty());
  EXPECT_TRUE(fs::exists(dir_ / "logs/errors/schema_drift.json.corrupt"));
}

TEST_F(SchemaDriftTest, ConcurrentObserversCountEverything) {
  std::atomic<int> alerts{0};
  SchemaDriftTracker t(dir_.string(), [&alerts](const DriftAlert&) { ++alerts; });
  std::vector<std::thread> threads;
  for (int n = 0; n < 4; ++n)
    threads.emplace_back([&t] {
      for (int i = 0; i < 5000; ++i) t.observe("spy", kDay, i % 2 ? "a" : "b", DriftKind::unknown_field, "x");
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(t.count("spy", "a", DriftKind::unknown_field) + t.count("spy", "b", DriftKind::unknown_field), 20000u);
  EXPECT_EQ(alerts.load(), 1);
}

TEST_F(SchemaDriftTest, NoCallbackIsFine) {
  SchemaDriftTracker t(dir_.string());
  t.observe("spy", kDay, "f", DriftKind::unknown_field, "x");
  EXPECT_EQ(t.alerts_raised(), 1u);
}

}  // namespace
}  // namespace soi
