// Replay mode: serves bars previously collected by soi, read through a
// PartitionStore (a LocalStore over a data directory, or the bucket that is
// the record): every *.parquet object of
// raw/{spy,vix,options}/date=YYYY-MM-DD/ (soi writes one, data.parquet; other
// tools may have left several) through DuckDB. A whole feed-day is read once
// (all its tickers) and cached; missing data is an empty day.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "simulator/bar_provider.hpp"
#include "simulator/lru_cache.hpp"
#include "sinks/duckdb/duckdb_session.hpp"
#include "sinks/store/partition_store.hpp"

namespace soi::sim {

class ParquetReplay : public BarProvider {
 public:
  // Throws SoiError(config) when root is not a directory.
  explicit ParquetReplay(std::filesystem::path root, std::size_t cache_bars = 4'000'000);
  // Reads through `store` (e.g. an S3Store): every partition is downloaded once per cache miss.
  explicit ParquetReplay(std::shared_ptr<PartitionStore> store, std::size_t cache_bars = 4'000'000);

  DayBars day_bars(std::string_view ticker, Date d) override;
  // Option tickers present in raw/options/date=<d>.
  std::optional<std::vector<std::string>> listed_options(Date d) override;

 private:
  using FeedDay = std::shared_ptr<const std::map<std::string, DayBars, std::less<>>>;
  FeedDay feed_day(std::string_view feed, Date d);
  FeedDay load(std::string_view feed, Date d);

  std::shared_ptr<PartitionStore> store_;
  std::mutex session_mutex_;  // a DuckDB connection serves one query at a time
  DuckDbSession session_;
  LruCache<std::string, FeedDay> cache_;
};

}  // namespace soi::sim
