#include "sinks/sink_factory.hpp"

#include "sinks/clickhouse/clickhouse_sink.hpp"
#include "sinks/duckdb/consolidated_duckdb_sink.hpp"
#include "sinks/parquet/parquet_sink.hpp"
#include "sinks/postgres/postgres_sink.hpp"
#include "sinks/store/local_store.hpp"
#include "sinks/store/mirrored_store.hpp"
#include "sinks/store/s3_credentials.hpp"
#include "utils/error.hpp"
#include "utils/secrets.hpp"

namespace soi {

std::shared_ptr<S3Store> make_bucket_store(const Config& config, bool check) {
  const ObjectStoreConfig& os = config.sinks.object_store;
  if (!os.enabled)
    throw SoiError(ErrorCategory::config, "sinks.yaml object_store.enabled is false: there is no bucket to use");
  S3Credentials credentials;
  try {
    credentials = load_s3_credentials();
  } catch (const SoiError& e) {
    // Not set at all is a setup problem (exit 2), like a missing API key.
    throw SoiError(ErrorCategory::config, e.message());
  }
  S3StoreOptions options;
  options.client.endpoint = os.endpoint;
  options.client.region = os.region;
  options.client.bucket = os.bucket;
  options.client.path_style = os.path_style;
  options.client.retry = config.retry;
  options.client.multipart_threshold = static_cast<std::uint64_t>(os.multipart_threshold_mb * 1048576.0);
  options.client.part_size = static_cast<std::uint64_t>(os.multipart_part_mb * 1048576.0);
  options.client.parallel_parts = os.parallel_parts;
  options.prefix = os.prefix;
  options.staging_dir = std::filesystem::path(config.settings.data_dir) / "state" / "staging";
  auto store = std::make_shared<S3Store>(std::move(options), std::move(credentials));
  if (check) store->client().check_bucket();
  return store;
}

std::shared_ptr<PartitionStore> make_partition_store(const Config& config, UploadFailureReporter report) {
  auto local = std::make_shared<LocalStore>(config.settings.data_dir);
  if (!config.sinks.object_store.enabled) return local;
  // The record in the bucket: nothing can be done without it.
  if (config.sinks.object_store.role == "primary") return make_bucket_store(config, true);
  // A mirror: refused credentials or a missing bucket are a setup error to fix
  // first, but a bucket that is down only delays the uploads (the outbox keeps them).
  std::shared_ptr<S3Store> bucket = make_bucket_store(config, false);
  try {
    bucket->client().check_bucket();
  } catch (const SoiError& e) {
    if (e.category() == ErrorCategory::auth || e.category() == ErrorCategory::config) throw;
    if (report) report(e, "");
  }
  auto outbox = std::make_shared<UploadOutbox>(UploadOutbox::file_in(config.settings.data_dir));
  return std::make_shared<MirroredStore>(std::move(local), std::move(bucket), std::move(outbox), std::move(report));
}

DuckDbSinkConfig duckdb_sink_config(const Config& config) {
  DuckDbSinkConfig duckdb = config.sinks.duckdb;
  // Views read the Parquet files under data_dir: with a bucket as the primary
  // store there are none, so the database keeps copies.
  if (config.sinks.object_store.enabled && config.sinks.object_store.role == "primary") duckdb.layout = "tables";
  return duckdb;
}

namespace {

std::vector<std::unique_ptr<Sink>> open_sinks(const Config& config, std::shared_ptr<PartitionStore> store,
                                              const FeedRegistry& feeds) {
  std::vector<std::unique_ptr<Sink>> sinks;
  sinks.push_back(std::make_unique<ParquetSink>(std::move(store), config.sinks.parquet));
  // One DuckDB thread: a day's insert is one single-threaded scan; a second
  // thread changed nothing measurable (bench/sink_commit_bench) and would
  // compete with the Parquet sink, which SinkSet runs at the same time.
  if (config.sinks.duckdb.enabled)
    sinks.push_back(std::make_unique<ConsolidatedDuckDbSink>(config.settings.data_dir, duckdb_sink_config(config),
                                                        config.sources.news.tickers, 1, sql::tables_of(feeds)));
  if (config.sinks.postgres.enabled) {
    const std::string& variable = config.sinks.postgres.url_env;
    const std::optional<std::string> conninfo = get_secret(variable);
    if (!conninfo)
      throw SoiError(ErrorCategory::config,
                     "sinks.postgres.enabled is true but " + variable +
                         " is not set: put the libpq connection string (postgresql://user:password@host:port/db) in "
                         "the environment or in .env");
    sinks.push_back(std::make_unique<PostgresSink>(*conninfo, config.sinks.postgres, config.retry,
                                              config.sources.news.tickers, sql::tables_of(feeds)));
  }
  if (config.sinks.clickhouse.enabled) {
    // No password at all is allowed (a server's passwordless default user).
    const std::string password = get_secret(config.sinks.clickhouse.password_env).value_or("");
    sinks.push_back(make_clickhouse_sink(config.sinks.clickhouse, password, config.retry, config.sources.news.tickers,
                                    sql::tables_of(feeds)));
  }
  return sinks;
}

}  // namespace

std::unique_ptr<SinkSet> make_sinks(const Config& config, std::shared_ptr<PartitionStore> store,
                                    const FeedRegistry& feeds) {
  if (store) store->remove_stale_staging(kPartitionPrefix);
  auto sinks = std::make_unique<SinkSet>();
  for (auto& sink : open_sinks(config, std::move(store), feeds)) sinks->add(std::move(sink));
  return sinks;
}

std::unique_ptr<SinkSet> make_sinks_in_background(const Config& config, std::shared_ptr<PartitionStore> store,
                                                  const FeedRegistry& feeds) {
  // Here, not on the opener's thread: the store's staging area also holds
  // downloads (a bucket's get()) that the fetch threads may start at once.
  if (store) store->remove_stale_staging(kPartitionPrefix);
  auto sinks = std::make_unique<SinkSet>();
  sinks->open_in_background(
      [config, store = std::move(store), feeds] { return open_sinks(config, store, feeds); });
  return sinks;
}

}  // namespace soi
