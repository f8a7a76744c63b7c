#include "simulator/parquet_replay.hpp"

#include <duckdb.h>

#include <vector>

#include "utils/error.hpp"
#include "simulator/occ_ticker.hpp"
#include "sinks/store/local_store.hpp"

namespace soi::sim {
namespace {

// Owns a duckdb_result / duckdb_data_chunk for the scope of one read.
struct ResultGuard {
  duckdb_result result{};
  ~ResultGuard() { duckdb_destroy_result(&result); }
};
struct ChunkGuard {
  duckdb_data_chunk chunk = nullptr;
  ~ChunkGuard() {
    if (chunk) duckdb_destroy_data_chunk(&chunk);
  }
};

template <typename T>
const T* column(duckdb_data_chunk chunk, idx_t index, std::uint64_t** validity) {
  duckdb_vector vector = duckdb_data_chunk_get_vector(chunk, index);
  *validity = duckdb_vector_get_validity(vector);
  return static_cast<const T*>(duckdb_vector_get_data(vector));
}

bool valid(std::uint64_t* validity, idx_t row) { return !validity || duckdb_validity_row_is_valid(validity, row); }

}  // namespace

ParquetReplay::ParquetReplay(std::filesystem::path root, std::size_t cache_bars)
    : session_("", 2), cache_(cache_bars) {
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec))
    throw SoiError(ErrorCategory::config, "replay directory '" + root.string() + "' does not exist",
                   ErrorContext{"simulator", "", "", ""});
  store_ = std::make_shared<LocalStore>(std::move(root));
}

ParquetReplay::ParquetReplay(std::shared_ptr<PartitionStore> store, std::size_t cache_bars)
    : store_(std::move(store)), session_("", 2), cache_(cache_bars) {}

ParquetReplay::FeedDay ParquetReplay::feed_day(std::string_view feed, Date d) {
  const std::string key = std::string(feed) + "|" + format_date(d);
  return cache_.get_or_compute(
      key, [&] { return load(feed, d); },
      [](const FeedDay& day) {
        std::size_t bars = 1;
        for (const auto& [ticker, list] : *day) bars += list->size();
        return bars;
      });
}

ParquetReplay::FeedDay ParquetReplay::load(std::string_view feed, Date d) {
  auto tickers = std::make_shared<std::map<std::string, DayBars, std::less<>>>();
  // The day's folder: every Parquet object directly in it.
  const std::string key = partition_key(feed, d);
  const std::string folder = key.substr(0, key.rfind('/') + 1);
  std::vector<LocalObject> objects;
  std::string files;
  for (const std::string& object_key : store_->list(folder)) {
    const std::string_view name = std::string_view(object_key).substr(folder.size());
    if (name.find('/') != std::string_view::npos || !name.ends_with(".parquet")) continue;
    std::optional<LocalObject> object = store_->get(object_key);
    if (!object) continue;  // replaced or removed meanwhile
    files += (files.empty() ? "" : ", ") + DuckDbSession::quote(object->path().string());
    objects.push_back(std::move(*object));
  }
  if (objects.empty()) return tickers;
  // Typed columns (not text cells): a busy SPY day has ~40k rows per ticker.
  const std::string sql =
      "SELECT ticker::VARCHAR, epoch_ms(ts)::BIGINT, open::DOUBLE, high::DOUBLE, low::DOUBLE, close::DOUBLE, "
      "volume::DOUBLE, vwap::DOUBLE, transactions::BIGINT FROM read_parquet([" + files +
      "], hive_partitioning = false, union_by_name = true) ORDER BY 1, 2";
  std::map<std::string, std::vector<Bar>, std::less<>> rows;
  {
    std::lock_guard lock(session_mutex_);
    ResultGuard guard;
    if (duckdb_query(session_.connection(), sql.c_str(), &guard.result) == DuckDBError) {
      const char* message = duckdb_result_error(&guard.result);
      throw SoiError(ErrorCategory::storage, std::string("replay: ") + (message ? message : "query failed"),
                     ErrorContext{"simulator", "", format_date(d),
                                  std::filesystem::path(store_->location(key)).parent_path().string()});
    }
    while (true) {
      ChunkGuard chunk{duckdb_fetch_chunk(guard.result)};
      if (!chunk.chunk) break;
      const idx_t size = duckdb_data_chunk_get_size(chunk.chunk);
      if (size == 0) break;
      std::uint64_t* v_ticker = nullptr;
      std::uint64_t* v_ts = nullptr;
      std::uint64_t* v_px[4] = {};
      std::uint64_t* v_volume = nullptr;
      std::uint64_t* v_vwap = nullptr;
      std::uint64_t* v_n = nullptr;
      const auto* ticker = column<duckdb_string_t>(chunk.chunk, 0, &v_ticker);
      const auto* ts = column<std::int64_t>(chunk.chunk, 1, &v_ts);
      const double* px[4];
      for (idx_t c = 0; c < 4; ++c) px[c] = column<double>(chunk.chunk, 2 + c, &v_px[c]);
      const auto* volume = column<double>(chunk.chunk, 6, &v_volume);
      const auto* vwap = column<double>(chunk.chunk, 7, &v_vwap);
      const auto* transactions = column<std::int64_t>(chunk.chunk, 8, &v_n);
      for (idx_t r = 0; r < size; ++r) {
        if (!valid(v_ticker, r) || !valid(v_ts, r)) continue;
        bool prices = true;
        for (auto* v : v_px) prices = prices && valid(v, r);
        if (!prices) continue;
        duckdb_string_t s = ticker[r];
        const std::string name(duckdb_string_t_data(&s), duckdb_string_t_length(s));
        Bar b;
        b.ts_ms = ts[r];
        b.open = px[0][r];
        b.high = px[1][r];
        b.low = px[2][r];
        b.close = px[3][r];
        if (valid(v_volume, r)) b.volume = volume[r], b.fields |= kBarHasVolume;
        if (valid(v_vwap, r)) b.vwap = vwap[r], b.fields |= kBarHasVwap;
        if (valid(v_n, r)) b.transactions = transactions[r], b.fields |= kBarHasTransactions;
        auto& list = rows[name];
        // The raw layer may hold the same second twice (REST + WebSocket); serve it once.
        if (!list.empty() && list.back().ts_ms == b.ts_ms) continue;
        list.push_back(b);
      }
    }
  }
  for (auto& [name, list] : rows) tickers->emplace(name, std::make_shared<const std::vector<Bar>>(std::move(list)));
  return tickers;
}

DayBars ParquetReplay::day_bars(std::string_view ticker, Date d) {
  const FeedDay day = feed_day(feed_of(ticker), d);
  auto it = day->find(ticker);
  return it == day->end() ? empty_day() : it->second;
}

std::optional<std::vector<std::string>> ParquetReplay::listed_options(Date d) {
  const FeedDay day = feed_day("options", d);
  std::vector<std::string> tickers;
  for (const auto& [name, bars] : *day)
    if (parse_occ_ticker(name)) tickers.push_back(name);
  return tickers;
}

}  // namespace soi::sim
