// The consolidated DuckDB sink under test as a run has it: behind the Parquet
// sink whose files the views layout reads, in one SinkSet.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "sinks/duckdb/consolidated_duckdb_sink.hpp"
#include "sinks/duckdb/duckdb_session.hpp"
#include "sinks/parquet/parquet_sink.hpp"
#include "sinks/sink_set.hpp"
#include "sinks/store/local_store.hpp"
#include "support/consolidated_fixture.hpp"

namespace soi::test {
namespace fs = std::filesystem;

// What a run has: the Parquet sink (whose files the views layout reads) and the
// DuckDB sink in one SinkSet. write() returns the DuckDB sink's result and
// throws the first failure.
class ParquetAndDuckDb : public Sink {
 public:
  ParquetAndDuckDb(const fs::path& dir, const DuckDbSinkConfig& config, std::vector<std::string> tickers) {
    sinks_.add(std::make_unique<ParquetSink>(std::make_shared<LocalStore>(dir), ParquetSinkConfig{}));
    auto duckdb = std::make_unique<ConsolidatedDuckDbSink>(dir.string(), config, std::move(tickers), 1);
    duckdb_ = duckdb.get();
    sinks_.add(std::move(duckdb));
  }
  std::string_view name() const override { return "parquet+duckdb"; }
  using Sink::write;
  PartitionWriteResult write(const Partition& partition, const RunInfo& run) override {
    SinkSetResult result = sinks_.write(partition, run);
    if (!result.failures.empty()) throw result.failures.front();
    return result.written.back();
  }
  const fs::path& path() const { return duckdb_->path(); }

 private:
  SinkSet sinks_;
  ConsolidatedDuckDbSink* duckdb_ = nullptr;
};

class ConsolidatedDuckDbSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("soi_consolidated_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<ParquetAndDuckDb> open(std::vector<std::string> tickers = {"SPY", "QQQ"}) const {
    DuckDbSinkConfig config;
    config.layout = layout_;
    return std::make_unique<ParquetAndDuckDb>(dir_, config, std::move(tickers));
  }
  bool views() const { return layout_ == "views"; }
  fs::path db_path() const { return dir_ / "processed/consolidated/market.duckdb"; }

  // Opens the file after the sink closed it (DuckDB: one process, one writer).
  std::unique_ptr<DuckDbSession> reader() const {
    auto s = std::make_unique<DuckDbSession>(db_path().string(), 1, true);
    s->execute("SET TimeZone = 'UTC'");
    return s;
  }

  void write_all(Sink& sink) { day_.write_to(sink, run_); }
  // Opens the sink with `layout`, writes the whole day and closes it again.
  void write_all_as(const std::string& layout) {
    layout_ = layout;
    auto sink = open();
    write_all(*sink);
  }

  std::string cell(const DuckDbSession& db, const std::string& sql) const {
    const auto rows = db.query(sql);
    if (rows.empty() || rows[0].empty()) return "<no row>";
    return rows[0][0] ? *rows[0][0] : "NULL";
  }

  std::string layout_ = "tables";
  fs::path dir_;
  ConsolidatedDay day_;
  RunInfo run_{"20250117T101502Z-3f9a", 0};
};

}  // namespace soi::test
