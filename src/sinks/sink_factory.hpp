// Builds the run's storage from the configuration: the PartitionStore that
// holds the committed partition files, and the sinks (Parquet always, then the
// enabled SQL sinks).
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "config/config.hpp"
#include "config/feed_registry.hpp"
#include "sinks/sink_set.hpp"
#include "sinks/store/partition_store.hpp"
#include "sinks/store/s3_store.hpp"
#include "utils/error.hpp"

namespace soi {

// Called when an upload to the bucket mirror failed (the partition is then in
// the outbox); any thread.
using UploadFailureReporter = std::function<void(const SoiError& error, std::string_view key)>;

// The store of committed partitions, by sinks.yaml object_store:
//   disabled       a LocalStore over settings.data_dir (no I/O);
//   role mirror    a MirroredStore: that LocalStore, copied into the bucket;
//   role primary   an S3Store: the bucket, staging under <data_dir>/state/staging.
// With a bucket, the credentials are read (AWS_ACCESS_KEY_ID, ...; missing
// ones are a config error) and the bucket is checked at once, so refused
// credentials (auth) or a missing bucket (config) stop the run before any
// work. A mirror's bucket that cannot be reached (network, server) is only
// reported: the local record goes on and the outbox keeps the uploads. Throws SoiError.
std::shared_ptr<PartitionStore> make_partition_store(const Config& config, UploadFailureReporter report = {});

// The bucket alone, as configured (soi sync, a replay from the bucket);
// check: contact it now (any failure throws).
std::shared_ptr<S3Store> make_bucket_store(const Config& config, bool check = true);

// sinks.yaml duckdb as the run uses it: layout views needs the Parquet files
// on local disk, so with a bucket as the primary store it is tables.
DuckDbSinkConfig duckdb_sink_config(const Config& config);

// The Parquet sink writes into `store`, after its stale staging files are
// removed (the caller is the data directory's one writer). Throws
// SoiError(config) for bad sink settings and SoiError(storage) when an enabled
// SQL sink cannot be opened (e.g. the PostgreSQL server is down). The SQL
// sinks hold one table per feed of `feeds` (sql::tables_of).
std::unique_ptr<SinkSet> make_sinks(const Config& config, std::shared_ptr<PartitionStore> store,
                                    const FeedRegistry& feeds);

// The same sinks, opened on a thread of their own (SinkSet::open_in_background,
// with copies of config and feeds): the caller can start fetching at once; the
// first commit waits for them, and their failure to open is thrown from there
// (or from SinkSet::wait_open).
std::unique_ptr<SinkSet> make_sinks_in_background(const Config& config, std::shared_ptr<PartitionStore> store,
                                                  const FeedRegistry& feeds);

}  // namespace soi
