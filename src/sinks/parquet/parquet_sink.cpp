#include "sinks/parquet/parquet_sink.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "sinks/duckdb/duckdb_session.hpp"
#include "sinks/parquet/dataset_scan.hpp"
#include "sinks/parquet/parquet_select.hpp"
#include "utils/durable_file.hpp"
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

// The feed becomes a directory name: refuse anything that could escape data/raw.
void validate_feed(std::string_view feed) {
  bool ok = !feed.empty() && feed != "." && feed != "..";
  for (char ch : feed) ok = ok && ch != '/' && ch != '\\' && ch != '\0';
  if (!ok) throw SoiError(ErrorCategory::storage, "invalid feed name '" + std::string(feed) + "'");
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

struct HashedFile {
  std::string sha256;
  std::uint64_t bytes = 0;
};

// Reads the freshly written file once: hashes it and fsync()s it through the
// same descriptor (the pages are still cached, so the read is cheap).
HashedFile hash_and_sync(const fs::path& path, bool sync) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw SoiError(ErrorCategory::storage, "cannot open " + path.string() + ": " + std::strerror(errno));
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    throw SoiError(ErrorCategory::storage, "openssl: cannot initialise sha256");
  std::vector<unsigned char> buffer(1 << 20);
  HashedFile out;
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SoiError(ErrorCategory::storage, "cannot read " + path.string() + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<std::size_t>(n));
    out.bytes += static_cast<std::uint64_t>(n);
  }
  if (sync && ::fsync(fd) != 0)
    throw SoiError(ErrorCategory::storage, "cannot fsync " + path.string() + ": " + std::strerror(errno));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  out.sha256.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.sha256 += kHex[digest[i] >> 4];
    out.sha256 += kHex[digest[i] & 0xF];
  }
  return out;
}

}  // namespace

std::string sha256_file_hex(const fs::path& path) { return hash_and_sync(path, false).sha256; }

ParquetSink::ParquetSink(std::string data_dir, ParquetSinkConfig config, int duckdb_threads)
    : data_dir_(std::move(data_dir)), config_(std::move(config)) {
  validate(config_);
  session_ = std::make_unique<DuckDbSession>("", duckdb_threads);
  // Only the TIMESTAMPTZ literal of ingested_at could depend on the session
  // zone, and it carries +00 anyway; UTC keeps any text rendering unambiguous.
  session_->execute("SET TimeZone = 'UTC'");
  // COPY must write rows in scan order when the ORDER BY is skipped.
  session_->execute("SET preserve_insertion_order = true");
  scan_ = std::make_unique<DatasetScan>(*session_);
}

ParquetSink::~ParquetSink() = default;

fs::path parquet_partition_dir(const fs::path& data_dir, std::string_view feed, Date date) {
  return data_dir / "raw" / std::string(feed) / ("date=" + format_date(date));
}

fs::path parquet_partition_file(const fs::path& data_dir, std::string_view feed, Date date) {
  return parquet_partition_dir(data_dir, feed, date) / std::string(ParquetSink::kFileName);
}

fs::path ParquetSink::partition_dir(std::string_view feed, Date date) const {
  return parquet_partition_dir(data_dir_, feed, date);
}

fs::path ParquetSink::partition_file(std::string_view feed, Date date) const {
  return parquet_partition_file(data_dir_, feed, date);
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
      written = session_->query_int("COPY (" + parquet_select(partition, stamp, DatasetScan::kFunctionName) + ") TO " +
                                    DuckDbSession::quote(temp_path) + copy_options());
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
  validate_feed(feed);
  const std::string day = format_date(date);
  const ErrorContext context{std::string(feed), "", day, ""};
  const fs::path dir = partition_dir(feed, date);
  const fs::path final_path = dir / std::string(kFileName);

  std::lock_guard lock(mutex_);
  fs::path temp_path;
  try {
    if (create_directories_or_throw(dir)) fsync_directory(dir.parent_path());
    // A previous run interrupted mid-write left its temp file here: drop it.
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (starts_with(entry.path().filename().string(), kTempPrefix)) fs::remove(entry.path());
    }
    temp_path = dir / (std::string(kTempPrefix) + std::to_string(::getpid()) + "-" + std::to_string(++temp_counter_));
    const std::uint64_t rows = produce(temp_path.string());

    const HashedFile hashed = hash_and_sync(temp_path, true);
    if (::rename(temp_path.c_str(), final_path.c_str()) != 0)
      throw SoiError(ErrorCategory::storage, "cannot rename " + temp_path.string() + ": " + std::strerror(errno));
    temp_path.clear();
    // A partition is exactly one file we own: drop any other Parquet file
    // (older layouts, stray copies) so readers of the directory see only this day.
    for (const auto& entry : fs::directory_iterator(dir)) {
      const fs::path& p = entry.path();
      if (p.extension() == ".parquet" && p.filename() != kFileName) fs::remove(p);
    }
    fsync_directory(dir);

    PartitionWriteResult result;
    result.sink = std::string(name());
    result.feed = std::string(feed);
    result.date = day;
    result.location = final_path.string();
    result.rows = rows;
    result.bytes = hashed.bytes;
    result.sha256 = hashed.sha256;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
  } catch (const std::exception& e) {
    std::error_code ignored;
    if (!temp_path.empty()) fs::remove(temp_path, ignored);
    const auto* soi = dynamic_cast<const SoiError*>(&e);
    throw SoiError(ErrorCategory::storage,
                   "cannot write parquet partition " + final_path.string() + ": " + (soi ? soi->message() : e.what()),
                   context);
  }
}

std::size_t ParquetSink::cleanup_stale_temp_files() const {
  const fs::path root = data_dir_ / "raw";
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return 0;
  std::vector<fs::path> stale;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && starts_with(it->path().filename().string(), kTempPrefix))
      stale.push_back(it->path());
  }
  if (ec) throw SoiError(ErrorCategory::storage, "cannot scan " + root.string() + ": " + ec.message());
  std::size_t removed = 0;
  for (const auto& p : stale) {
    if (fs::remove(p, ec)) ++removed;
    if (ec) throw SoiError(ErrorCategory::storage, "cannot remove stale temp file " + p.string() + ": " + ec.message());
  }
  return removed;
}

}  // namespace soi
