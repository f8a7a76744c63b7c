#include "sinks/parquet/parquet_sink.hpp"

#include <chrono>
#include <vector>

#include "sinks/duckdb/duckdb_session.hpp"
#include "sinks/duckdb/dataset_scan.hpp"
#include "sinks/duckdb/dataset_select.hpp"
#include "utils/error.hpp"

namespace soi {
namespace fs = std::filesystem;

namespace {

void validate(const ParquetSinkConfig& c) {
  const std::string& z = c.compression;
  if (z != "zstd" && z != "snappy" && z != "gzip" && z != "uncompressed")
    throw SoiError(ErrorCategory::config,
                   "sinks.parquet.compression must be zstd|snappy|gzip|uncompressed, got '" + z + "'");
  if (z == "zstd" && (c.compression_level < 1 || c.compression_level > 22))
    throw SoiError(ErrorCategory::config, "sinks.parquet.compression_level must be 1..22 for zstd, got " +
                                              std::to_string(c.compression_level));
  if (c.row_group_size < 1)
    throw SoiError(ErrorCategory::config,
                   "sinks.parquet.row_group_size must be positive, got " + std::to_string(c.row_group_size));
}

}  // namespace

ParquetSink::ParquetSink(std::shared_ptr<PartitionStore> store, ParquetSinkConfig config, int duckdb_threads)
    : store_(std::move(store)), config_(std::move(config)) {
  validate(config_);
  if (!store_) throw SoiError(ErrorCategory::config, "parquet sink: no partition store");
  session_ = std::make_unique<DuckDbSession>("", duckdb_threads);
  // Only the TIMESTAMPTZ literal of ingested_at could depend on the session
  // zone, and it carries +00 anyway; UTC keeps any text rendering unambiguous.
  session_->execute("SET TimeZone = 'UTC'");
  // COPY must write rows in scan order when the ORDER BY is skipped.
  session_->execute("SET preserve_insertion_order = true");
  scan_ = std::make_unique<DatasetScan>(*session_);
}

ParquetSink::~ParquetSink() = default;

fs::path parquet_partition_file(const fs::path& data_dir, std::string_view feed, Date date) {
  return data_dir / partition_key(feed, date);
}

std::string ParquetSink::location(std::string_view feed, Date date) const {
  return store_->location(partition_key(feed, date));
}

std::string ParquetSink::copy_options() const {
  std::string sql = " (FORMAT parquet, COMPRESSION " + config_.compression;
  if (config_.compression == "zstd") sql += ", COMPRESSION_LEVEL " + std::to_string(config_.compression_level);
  sql += ", ROW_GROUP_SIZE " + std::to_string(config_.row_group_size) + ")";
  return sql;
}

PartitionWriteResult ParquetSink::write(const Partition& partition, const RunInfo& run) {
  if (!partition.dataset)
    throw SoiError(ErrorCategory::storage, "parquet sink: partition " + std::string(partition.name) + " of " +
                                               format_date(partition.date) + " names no dataset");
  return commit(partition.name, partition.date, [&](const std::string& temp_path) -> std::uint64_t {
    const WriteStamp stamp{run.run_id, now_utc_ms()};
    const std::uint64_t rows = partition.dataset->row_count(partition);
    scan_->set(partition, stamp);
    std::int64_t written = 0;
    try {
      written = session_->query_int(
          "COPY (" + dataset_select(partition, stamp, DatasetScan::kFunctionName, SelectTarget::parquet_file) +
          ") TO " + DuckDbSession::quote(temp_path) + copy_options());
    } catch (...) {
      scan_->clear();
      throw;
    }
    scan_->clear();
    if (static_cast<std::uint64_t>(written) != rows)
      throw SoiError(ErrorCategory::storage,
                     "parquet writer wrote " + std::to_string(written) + " rows, expected " + std::to_string(rows));
    return rows;
  });
}

PartitionWriteResult ParquetSink::commit(std::string_view feed, Date date,
                                         const std::function<std::uint64_t(const std::string&)>& produce) {
  const auto started = std::chrono::steady_clock::now();
  const std::string key = partition_key(feed, date);
  const std::string day = format_date(date);
  const ErrorContext context{std::string(feed), "", day, ""};

  std::lock_guard lock(mutex_);
  try {
    StagedFile staged = store_->stage(key);
    const std::uint64_t rows = produce(staged.path().string());
    const StoredObject stored = store_->put(std::move(staged));

    PartitionWriteResult result;
    result.sink = std::string(name());
    result.feed = std::string(feed);
    result.date = day;
    result.location = stored.location;
    result.rows = rows;
    result.bytes = stored.bytes;
    result.sha256 = stored.sha256;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
  } catch (const std::exception& e) {
    // The staging file, if any, was removed with its handle.
    const auto* soi = dynamic_cast<const SoiError*>(&e);
    throw SoiError(ErrorCategory::storage,
                   "cannot write parquet partition " + store_->location(key) + ": " + (soi ? soi->message() : e.what()),
                   context);
  }
}

}  // namespace soi
