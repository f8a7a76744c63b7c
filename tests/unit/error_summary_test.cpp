#include "monitoring/error_summary.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <algorithm>
#include <sstream>

#include "monitoring/progress.hpp"
#include "utils/redact.hpp"

namespace soi {
namespace {

TEST(ErrorSummaryTest, CountsByCategoryAndSourceWithFirstExample) {
  ErrorSummary s;
  s.record(SoiError(ErrorCategory::server, "HTTP 503 first", ErrorContext{"spy", "SPY", "2025-01-16", ""}));
  s.record(SoiError(ErrorCategory::server, "HTTP 503 second", ErrorContext{"spy", "SPY", "2025-01-17", ""}));
  s.record(ErrorCategory::validation, "bad bar", ErrorContext{"spy", "SPY", "2025-01-17", ""});
  s.record(ErrorCategory::server, "other source", ErrorContext{"vix", "I:VIX", "2025-01-17", ""});
  EXPECT_EQ(s.total(), 4u);
  EXPECT_EQ(s.count(ErrorCategory::server), 3u);
  auto entries = s.entries();
  auto& spy_server = entries.at({"server", "spy"});
  EXPECT_EQ(spy_server.count, 2u);
  EXPECT_NE(spy_server.example.find("HTTP 503 first"), std::string::npos);
  EXPECT_NE(spy_server.example.find("date=2025-01-16"), std::string::npos);
  EXPECT_LE(spy_server.first_ms, spy_server.last_ms);
  const std::string json = s.to_json("run-9");
  EXPECT_NE(json.find(R"("run_id": "run-9")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("category":"server","source":"spy","count":2)"), std::string::npos) << json;
  EXPECT_NE(s.to_text().find("validation"), std::string::npos);
}

TEST(ErrorSummaryTest, WritesJsonWithoutSecrets) {
  register_secret("summary-secret-9876");
  ErrorSummary s;
  s.record(ErrorCategory::auth, "key summary-secret-9876 refused", ErrorContext{"spy"});
  auto dir = std::filesystem::temp_directory_path() / "soi-error-summary-test";
  std::string path = s.write_json(dir.string(), "r1");
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str().find("summary-secret-9876"), std::string::npos);
  EXPECT_NE(text.str().find("****9876"), std::string::npos);
  std::filesystem::remove_all(dir);
  clear_secrets();
}

TEST(ErrorSummaryTest, EmptySummary) {
  ErrorSummary s;
  EXPECT_EQ(s.total(), 0u);
  EXPECT_EQ(s.to_text(), "");
  EXPECT_NE(s.to_json("r").find(R"("total": 0)"), std::string::npos);
}

TEST(ProgressReporterTest, ModeFollowsSettingAndTerminal) {
  EXPECT_EQ(ProgressReporter("x", 3, "never", 10, 1).mode(), ProgressReporter::Mode::off);
  EXPECT_EQ(ProgressReporter("x", 3, "always", 10, 0).mode(), ProgressReporter::Mode::bar);
  EXPECT_EQ(ProgressReporter("x", 3, "auto", 10, 1).mode(), ProgressReporter::Mode::bar);
  ProgressReporter lines("x", 2, "auto", 10, 0);
  EXPECT_EQ(lines.mode(), ProgressReporter::Mode::lines);
  testing::internal::CaptureStderr();
  lines.update(2, 100);
  lines.finish();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("progress: x ["), std::string::npos) << err;
  EXPECT_NE(err.find("2/2 days  100 rows"), std::string::npos) << err;
}

TEST(ProgressReporterTest, BarRedrawsOneLine) {
  ProgressReporter bar("spy", 4, "auto", 10, 1);
  testing::internal::CaptureStderr();
  bar.update(1, 10);
  bar.update(2, 20);
  bar.finish();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(std::count(err.begin(), err.end(), '\r'), 3);
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1);
  EXPECT_NE(err.find("[############............] 2/4 days"), std::string::npos) << err;
}

}  // namespace
}  // namespace soi
