// Builds the run's sinks from sinks.yaml: Parquet always, then the enabled SQL sinks.
#pragma once

#include <memory>

#include "config/config.hpp"
#include "sinks/sink_set.hpp"

namespace soi {

// Throws SoiError(config) for bad sink settings and SoiError(storage) when an
// enabled SQL sink cannot be opened (e.g. the PostgreSQL server is down).
std::unique_ptr<SinkSet> make_sinks(const Config& config);

}  // namespace soi
