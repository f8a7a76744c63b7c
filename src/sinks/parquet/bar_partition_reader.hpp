// Reads committed partitions (data.parquet of one feed and day) back out of the
// PartitionStore: a stream restarted during the day seeds its day book with
// what it had already committed, so the next commit of the day still holds
// every bar; the stream and `soi backfill --keep-tracked-contracts` read the
// day's options universe. Each call gets the object once (LocalStore: the file
// itself, no copy) and reads it on a private DuckDB session: safe from any
// thread.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "processing/records.hpp"
#include "sinks/store/partition_store.hpp"

namespace soi {

// One BarDay per ticker, bars by ts; optional fields the file holds as NULL are
// left out of Bar::fields. Partitions of an option_bars feed of the registry
// (default_feed_registry) also give each BarDay its contract (underlying, type,
// strike, expiration). No stored day gives an empty result.
// Throws SoiError(storage) naming the location when it cannot be read.
std::vector<BarDay> read_bar_partition(PartitionStore& store, std::string_view feed, Date date);

// The contracts of the day's committed options_contracts partition (a
// restarted stream keeps tracking what an earlier run re-centred onto). No
// stored day: empty. Throws SoiError(storage) naming the location when it
// cannot be read.
std::vector<OptionContract> read_contracts_partition(PartitionStore& store, Date date);
// The whole universe of that partition (open, its source, band), nullopt when
// there is no stored day or it holds no contract.
std::optional<OptionsUniverse> read_universe_partition(PartitionStore& store, Date date);

}  // namespace soi
