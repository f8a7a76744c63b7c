#include "sinks/sink_factory.hpp"

#include "sinks/duckdb/consolidated_duckdb_sink.hpp"
#include "sinks/parquet/parquet_sink.hpp"
#include "sinks/postgres/postgres_sink.hpp"
#include "sinks/store/local_store.hpp"
#include "utils/error.hpp"
#include "utils/secrets.hpp"

namespace soi {

std::shared_ptr<PartitionStore> make_partition_store(const Config& config) {
  return std::make_shared<LocalStore>(config.settings.data_dir);
}

std::unique_ptr<SinkSet> make_sinks(const Config& config, std::shared_ptr<PartitionStore> store,
                                    const FeedRegistry& feeds) {
  auto sinks = std::make_unique<SinkSet>();
  auto parquet = std::make_unique<ParquetSink>(std::move(store), config.sinks.parquet);
  parquet->store().remove_stale_staging(kPartitionPrefix);
  sinks->add(std::move(parquet));
  if (config.sinks.duckdb.enabled)
    sinks->add(std::make_unique<ConsolidatedDuckDbSink>(config.settings.data_dir, config.sinks.duckdb,
                                                        config.sources.news.tickers, 0, sql::tables_of(feeds)));
  if (config.sinks.postgres.enabled) {
    const std::string& variable = config.sinks.postgres.url_env;
    const std::optional<std::string> conninfo = get_secret(variable);
    if (!conninfo)
      throw SoiError(ErrorCategory::config,
                     "sinks.postgres.enabled is true but " + variable +
                         " is not set: put the libpq connection string (postgresql://user:password@host:port/db) in "
                         "the environment or in .env");
    sinks->add(std::make_unique<PostgresSink>(*conninfo, config.sinks.postgres, config.retry,
                                              config.sources.news.tickers, sql::tables_of(feeds)));
  }
  return sinks;
}

}  // namespace soi
