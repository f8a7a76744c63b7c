// Replay mode: bars written as soi's raw Parquet layout are served back with the
// same wire shapes as synthetic data.
#include <unistd.h>

#include <filesystem>

#include "simulator_test_support.hpp"
#include "sinks/duckdb/duckdb_session.hpp"

namespace soi::sim::test {
namespace {

namespace fs = std::filesystem;

// 2025-01-17 09:30 New York in Unix seconds.
constexpr std::int64_t kOpenSeconds = 1737124200;

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root = fs::temp_directory_path() / ("soi_sim_replay_" + std::to_string(::getpid()));
    fs::remove_all(root);
    for (const char* feed : {"spy", "vix", "options"}) fs::create_directories(root / "raw" / feed / "date=2025-01-17");
    DuckDbSession db;
    const auto write = [&](const std::string& select, const std::string& feed, const std::string& file) {
      db.execute("COPY (" + select + ") TO " +
                 DuckDbSession::quote((root / "raw" / feed / "date=2025-01-17" / file).string()) + " (FORMAT parquet)");
    };
    // 3000 SPY seconds plus ingestion metadata columns the simulator must ignore.
    write("SELECT 'SPY' AS ticker, to_timestamp(" + std::to_string(kOpenSeconds) +
              " + i) AS ts, 590 + i / 100.0 AS open, 591 + i / 100.0 AS high, 589 + i / 100.0 AS low, "
              "590.5 + i / 100.0 AS close, 100.0 + i AS volume, 590.2 + i / 100.0 AS vwap, (1 + i % 7)::BIGINT AS "
              "transactions, 'run-1' AS run_id, 'rest' AS origin FROM range(0, 3000) t(i)",
          "spy", "part-0.parquet");
    // The same second again in a second file (REST + WebSocket overlap): served once.
    write("SELECT 'SPY' AS ticker, to_timestamp(" + std::to_string(kOpenSeconds) +
              ") AS ts, 590.0 AS open, 591.0 AS high, 589.0 AS low, 590.5 AS close, 100.0 AS volume, 590.2 AS vwap, "
              "1::BIGINT AS transactions, 'run-2' AS run_id, 'ws' AS origin",
          "spy", "part-1.parquet");
    write("SELECT 'I:VIX' AS ticker, to_timestamp(" + std::to_string(kOpenSeconds) +
              " + i) AS ts, 16.0 AS open, 16.1 AS high, 15.9 AS low, 16.05 AS close, NULL::DOUBLE AS volume, "
              "NULL::DOUBLE AS vwap, NULL::BIGINT AS transactions FROM range(0, 10) t(i)",
          "vix", "part-0.parquet");
    write("SELECT CASE WHEN i % 2 = 0 THEN 'O:SPY250117C00590000' ELSE 'O:SPY250124P00585000' END AS ticker, "
              "to_timestamp(" + std::to_string(kOpenSeconds) +
              " + i) AS ts, 5.0 AS open, 5.2 AS high, 4.9 AS low, 5.1 AS close, 3.0 AS volume, 5.05 AS vwap, "
              "2::BIGINT AS transactions FROM range(0, 40) t(i)",
          "options", "part-0.parquet");
    auto options = test_options();
    options.config.data = "replay";
    options.config.replay_dir = root.string();
    server = start_server(options);
  }
  void TearDown() override {
    server->stop();
    fs::remove_all(root);
  }
  std::string url(const std::string& path) const { return server->base_url() + path; }

  fs::path root;
  std::unique_ptr<SimulatorServer> server;
};

TEST_F(ReplayTest, ServesStoredSpyBarsWithPagination) {
  std::vector<std::int64_t> times;
  std::string path = "/v2/aggs/ticker/SPY/range/1/second/2025-01-17/2025-01-17?limit=1000";
  int pages = 0;
  while (!path.empty()) {
    auto r = http_get(url(path));
    ASSERT_EQ(r.status, 200) << r.body;
    Json doc(r.body);
    for (auto e : doc["results"].get_array()) {
      if (times.empty()) {
        EXPECT_EQ(num(e, "o"), 590.0);
        EXPECT_EQ(num(e, "v"), 100.0);
        EXPECT_EQ(num(e, "vw"), 590.2);
        EXPECT_EQ(int_of(e, "n"), 1);
      }
      times.push_back(int_of(e, "t"));
    }
    path = doc.has("next_url") ? path_of(str(doc.root, "next_url")) : "";
    ++pages;
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(times.size(), 3000u);
  for (std::size_t i = 0; i < times.size(); ++i) ASSERT_EQ(times[i], (kOpenSeconds + static_cast<std::int64_t>(i)) * 1000);

  auto oc = Json(http_get(url("/v1/open-close/SPY/2025-01-17")).body);
  EXPECT_EQ(num(oc.root, "open"), 590.0);
  EXPECT_EQ(num(oc.root, "close"), 590.5 + 29.99);
}

TEST_F(ReplayTest, IndexRowsWithoutVolumeKeepTheIndexShape) {
  auto r = http_get(url("/v2/aggs/ticker/I:VIX/range/1/second/2025-01-17/2025-01-17"));
  Json doc(r.body);
  EXPECT_EQ(int_of(doc.root, "resultsCount"), 10);
  for (auto e : doc["results"].get_array()) {
    EXPECT_FALSE(has_key(e, "v"));
    EXPECT_EQ(num(e, "c"), 16.05);
  }
}

TEST_F(ReplayTest, OptionsChainComesFromTheReplayedTickers) {
  auto r = http_get(url("/v3/reference/options/contracts?as_of=2025-01-17&limit=100"));
  Json doc(r.body);
  std::vector<std::string> tickers;
  for (auto e : doc["results"].get_array()) tickers.push_back(str(e, "ticker"));
  EXPECT_EQ(tickers, (std::vector<std::string>{"O:SPY250117C00590000", "O:SPY250124P00585000"}));
  auto bars = Json(http_get(url("/v2/aggs/ticker/O:SPY250124P00585000/range/1/second/2025-01-17/2025-01-17")).body);
  EXPECT_EQ(int_of(bars.root, "resultsCount"), 20);
}

TEST_F(ReplayTest, MissingDataIsEmpty) {
  auto r = http_get(url("/v2/aggs/ticker/SPY/range/1/second/2025-01-16/2025-01-16"));
  ASSERT_EQ(r.status, 200);
  Json doc(r.body);
  EXPECT_EQ(int_of(doc.root, "resultsCount"), 0);
  EXPECT_FALSE(doc.has("results"));
  EXPECT_FALSE(Json(http_get(url("/v2/aggs/ticker/QQQ/range/1/second/2025-01-17/2025-01-17")).body).has("results"));
  EXPECT_EQ(http_get(url("/v1/open-close/SPY/2025-01-16")).status, 404);
}

}  // namespace
}  // namespace soi::sim::test
