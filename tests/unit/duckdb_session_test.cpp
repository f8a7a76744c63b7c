#include "sinks/duckdb/duckdb_session.hpp"

#include <gtest/gtest.h>

namespace soi {
namespace {

TEST(DuckDbSessionTest, QueryReturnsTextCellsNullsAndNames) {
  DuckDbSession db;
  auto r = db.query_with_names("SELECT 42 AS answer, NULL::INT AS nothing, 'x''y' AS quoted");
  ASSERT_EQ(r.names, (std::vector<std::string>{"answer", "nothing", "quoted"}));
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(*r.rows[0][0], "42");
  EXPECT_FALSE(r.rows[0][1].has_value());
  EXPECT_EQ(*r.rows[0][2], "x'y");
}

TEST(DuckDbSessionTest, TimestampWithTimeZoneIsPrintedInUtc) {
  DuckDbSession db;
  auto r = db.query_with_names(
      "SELECT TIMESTAMPTZ '2025-01-17 14:30:00.123+00' AS ts, 'CAST(x)' AS \"CAST(a AS VARCHAR)\", 1 AS \"we\"\"ird\";");
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(*r.rows[0][0], "2025-01-17 14:30:00.123+00");
  EXPECT_EQ(r.names[1], "CAST(a AS VARCHAR)");
  EXPECT_EQ(*r.rows[0][1], "CAST(x)");
  EXPECT_EQ(r.names[2], "we\"ird");
}

TEST(DuckDbSessionTest, NeverFetchesOrLoadsAnExtensionOnDemand) {
  // Offline: a query naming an https:// file must fail here, not download httpfs.
  DuckDbSession db;
  EXPECT_EQ(*db.query("SELECT current_setting('autoinstall_known_extensions')::VARCHAR")[0][0], "false");
  EXPECT_EQ(*db.query("SELECT current_setting('autoload_known_extensions')::VARCHAR")[0][0], "false");
}

TEST(DuckDbSessionTest, TheMemoryLimitIsDuckDbsOwnUnlessGiven) {
  DuckDbSession limited("", 1, false, 200);
  const std::string limit = *limited.query("SELECT current_setting('memory_limit')")[0][0];
  EXPECT_EQ(limit, "190.7 MiB");  // 200 MB, as DuckDB prints it
  DuckDbSession unlimited;
  EXPECT_NE(*unlimited.query("SELECT current_setting('memory_limit')")[0][0], limit);
}

TEST(DuckDbSessionTest, ErrorsAreStorageErrorsWithDuckDbsMessage) {
  DuckDbSession db;
  try {
    db.execute("SELEC 1");
    FAIL();
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
    EXPECT_NE(std::string(e.what()).find("syntax error"), std::string::npos) << e.what();
  }
  EXPECT_EQ(db.query_int("SELECT 7"), 7);
  EXPECT_EQ(DuckDbSession::quote("it's"), "'it''s'");
}

}  // namespace
}  // namespace soi
