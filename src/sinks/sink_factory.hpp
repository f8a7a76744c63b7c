// Builds the run's storage from the configuration: the PartitionStore that
// holds the committed partition files, and the sinks (Parquet always, then the
// enabled SQL sinks).
#pragma once

#include <memory>

#include "config/config.hpp"
#include "config/feed_registry.hpp"
#include "sinks/sink_set.hpp"
#include "sinks/store/partition_store.hpp"

namespace soi {

// The store of committed partitions: a LocalStore over settings.data_dir (the
// one place a remote store would be chosen). No I/O.
std::shared_ptr<PartitionStore> make_partition_store(const Config& config);

// The Parquet sink writes into `store`, after its stale staging files are
// removed (the caller is the data directory's one writer). Throws
// SoiError(config) for bad sink settings and SoiError(storage) when an enabled
// SQL sink cannot be opened (e.g. the PostgreSQL server is down). The SQL
// sinks hold one table per feed of `feeds` (sql::tables_of).
std::unique_ptr<SinkSet> make_sinks(const Config& config, std::shared_ptr<PartitionStore> store,
                                    const FeedRegistry& feeds);

}  // namespace soi
