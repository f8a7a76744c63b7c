// TEMPORARY: being implemented (issue 3); must not be committed as is.
#include "sinks/parquet/parquet_sink.hpp"
#include "utils/error.hpp"
namespace soi {
PartitionWriteResult ParquetSink::write(const NewsPartition&, const RunInfo&) {
  throw SoiError(ErrorCategory::storage, "not implemented yet");
}
}  // namespace soi
