#include "sinks/sink_set.hpp"

namespace soi {

SinkSetResult SinkSet::write(const Partition& partition, const RunInfo& run) {
  SinkSetResult result;
  for (auto& sink : sinks_) {
    try {
      result.written.push_back(sink->write(partition, run));
    } catch (const SoiError& e) {
      result.failures.push_back(e);
      result.failed_sinks.emplace_back(sink->name());
    } catch (const std::exception& e) {
      result.failures.emplace_back(ErrorCategory::storage, std::string(sink->name()) + " sink: " + e.what());
      result.failed_sinks.emplace_back(sink->name());
    }
  }
  return result;
}

SinkSetResult SinkSet::write(const BarPartition& p, const RunInfo& run) { return write(to_partition(p), run); }
SinkSetResult SinkSet::write(const ContractsPartition& p, const RunInfo& run) { return write(to_partition(p), run); }
SinkSetResult SinkSet::write(const NewsPartition& p, const RunInfo& run) { return write(to_partition(p), run); }

}  // namespace soi
