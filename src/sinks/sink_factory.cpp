#include "sinks/sink_factory.hpp"

#include "sinks/parquet/parquet_sink.hpp"

namespace soi {

std::unique_ptr<SinkSet> make_sinks(const Config& config) {
  auto sinks = std::make_unique<SinkSet>();
  auto parquet = std::make_unique<ParquetSink>(config.settings.data_dir, config.sinks.parquet);
  parquet->cleanup_stale_temp_files();
  sinks->add(std::move(parquet));
  return sinks;
}

}  // namespace soi
