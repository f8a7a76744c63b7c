#include "sinks/parquet/parquet_sink.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>
#include <utility>
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

struct ParquetSink::Encoder {
  std::unique_ptr<DuckDbSession> own_connection;  // null for the sink's own session
  const DuckDbSession* session = nullptr;
  std::unique_ptr<DatasetScan> scan;
};

// Removes its staging file (StagedFile) and frees its key unless put.
class ParquetSink::PreparedFile : public Sink::Prepared {
 public:
  PreparedFile(ParquetSink& sink, std::string key) : sink_(sink), key_(std::move(key)) {}
  ~PreparedFile() override {
    staged.reset();  // the file goes before the key is free for another prepare
    if (holds_key) sink_.release_key(key_);
  }
  PreparedFile(const PreparedFile&) = delete;
  PreparedFile& operator=(const PreparedFile&) = delete;

  const ParquetSink& sink() const { return sink_; }
  const std::string& key() const { return key_; }
  bool holds_key = false;  // set once the key is this file's (ParquetSink::staged_keys_)
  std::optional<StagedFile> staged;
  std::uint64_t rows = 0;
  double seconds = 0;  // encoding

 private:
  ParquetSink& sink_;
  std::string key_;
};

ParquetSink::ParquetSink(std::shared_ptr<PartitionStore> store, ParquetSinkConfig config, int duckdb_threads)
    : store_(std::move(store)), config_(std::move(config)) {
  validate(config_);
  if (!store_) throw SoiError(ErrorCategory::config, "parquet sink: no partition store");
  session_ = std::make_unique<DuckDbSession>("", duckdb_threads);
  // Only the TIMESTAMPTZ literal of ingested_at could depend on the session
  // zone (a connection's setting), and it carries +00 anyway; UTC keeps any
  // text rendering unambiguous.
  session_->execute("SET TimeZone = 'UTC'");
  // COPY must write rows in scan order when the ORDER BY is skipped (a setting
  // of the database, for every connection).
  session_->execute("SET preserve_insertion_order = true");
  auto first = std::make_unique<Encoder>();
  first->session = session_.get();
  first->scan = std::make_unique<DatasetScan>(*session_);
  idle_encoders_.push_back(first.get());
  encoders_.push_back(std::move(first));
}

ParquetSink::~ParquetSink() = default;

std::size_t ParquetSink::max_encoders() {
  const unsigned cores = std::thread::hardware_concurrency();
  return std::clamp<std::size_t>(cores, 1, 4);
}

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

ParquetSink::Encoder& ParquetSink::acquire_encoder() {
  std::unique_lock lock(mutex_);
  if (idle_encoders_.empty() && encoders_.size() < max_encoders() && !encoders_capped_) {
    try {
      auto encoder = std::make_unique<Encoder>();
      encoder->own_connection = session_->connect_again();
      encoder->session = encoder->own_connection.get();
      encoder->session->execute("SET TimeZone = 'UTC'");  // per connection; the rest is the database's
      // Connections share the catalog: each scan is registered under a name of its own.
      encoder->scan = std::make_unique<DatasetScan>(
          *encoder->session, std::string(DatasetScan::kFunctionName) + "_" + std::to_string(++encoder_names_));
      encoders_.push_back(std::move(encoder));
      return *encoders_.back();
    } catch (const std::exception&) {
      // The encoders there are will do (the sink's own always exists): days
      // wait for one rather than fail. Only the speed is lost, not a day.
      encoders_capped_ = true;
    }
  }
  changed_.wait(lock, [this] { return !idle_encoders_.empty(); });
  Encoder* encoder = idle_encoders_.back();
  idle_encoders_.pop_back();
  return *encoder;
}

void ParquetSink::release_encoder(Encoder& encoder) {
  {
    std::lock_guard lock(mutex_);
    idle_encoders_.push_back(&encoder);
  }
  changed_.notify_all();
}

void ParquetSink::release_key(const std::string& key) {
  {
    std::lock_guard lock(mutex_);
    staged_keys_.erase(key);
  }
  changed_.notify_all();
}

std::uint64_t ParquetSink::encode(Encoder& encoder, const Partition& partition, const RunInfo& run,
                                  const std::string& path) {
  const WriteStamp stamp{run.run_id, now_utc_ms()};
  const std::uint64_t rows = partition.dataset->row_count(partition);
  encoder.scan->set(partition, stamp);
  std::int64_t written = 0;
  try {
    written = encoder.session->query_int(
        "COPY (" + dataset_select(partition, stamp, encoder.scan->name(), SelectTarget::parquet_file) + ") TO " +
        DuckDbSession::quote(path) + copy_options());
  } catch (...) {
    encoder.scan->clear();
    throw;
  }
  encoder.scan->clear();
  if (static_cast<std::uint64_t>(written) != rows)
    throw SoiError(ErrorCategory::storage,
                   "parquet writer wrote " + std::to_string(written) + " rows, expected " + std::to_string(rows));
  return rows;
}

SoiError ParquetSink::write_failure(const std::string& key, const ErrorContext& context,
                                    const std::exception& e) const {
  const auto* soi = dynamic_cast<const SoiError*>(&e);
  return SoiError(ErrorCategory::storage,
                  "cannot write parquet partition " + store_->location(key) + ": " + (soi ? soi->message() : e.what()),
                  context);
}

std::unique_ptr<Sink::Prepared> ParquetSink::prepare(const Partition& partition, const RunInfo& run) {
  if (!partition.dataset)
    throw SoiError(ErrorCategory::storage, "parquet sink: partition " + std::string(partition.name) + " of " +
                                               format_date(partition.date) + " names no dataset");
  const auto started = std::chrono::steady_clock::now();
  const std::string key = partition_key(partition.name, partition.date);
  const ErrorContext context{std::string(partition.name), "", format_date(partition.date), ""};
  auto prepared = std::make_unique<PreparedFile>(*this, key);  // frees the key however this ends
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return staged_keys_.count(key) == 0; });
    staged_keys_.insert(key);
    prepared->holds_key = true;
  }
  try {
    Encoder& encoder = acquire_encoder();
    struct Release {
      ParquetSink& sink;
      Encoder& encoder;
      ~Release() { sink.release_encoder(encoder); }
    } release{*this, encoder};
    prepared->staged.emplace(store_->stage(key));
    prepared->rows = encode(encoder, partition, run, prepared->staged->path().string());
  } catch (const std::exception& e) {
    throw write_failure(key, context, e);  // the staging file, if any, goes with `prepared`
  }
  prepared->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return prepared;
}

PartitionWriteResult ParquetSink::write_prepared(const Partition& partition, const RunInfo& run,
                                                 std::unique_ptr<Prepared> prepared) {
  const std::string key = partition_key(partition.name, partition.date);
  auto* file = dynamic_cast<PreparedFile*>(prepared.get());
  if (!file || &file->sink() != this || file->key() != key || !file->staged) {
    prepared.reset();  // not this partition's: encode it now
    prepared = prepare(partition, run);
    file = static_cast<PreparedFile*>(prepared.get());
  }
  const auto started = std::chrono::steady_clock::now();
  const ErrorContext context{std::string(partition.name), "", format_date(partition.date), ""};
  try {
    const StoredObject stored = store_->put(std::move(*file->staged));
    PartitionWriteResult result;
    result.sink = std::string(name());
    result.feed = std::string(partition.name);
    result.date = context.date;
    result.location = stored.location;
    result.rows = file->rows;
    result.bytes = stored.bytes;
    result.sha256 = stored.sha256;
    result.seconds =
        file->seconds + std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
  } catch (const std::exception& e) {
    throw write_failure(key, context, e);  // the staging file was removed with its handle
  }
}

}  // namespace soi
