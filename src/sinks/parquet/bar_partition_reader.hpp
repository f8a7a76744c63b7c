// Reads a committed bar partition (data.parquet of one feed and day) back into
// BarDays: a stream restarted during the day seeds its day book with what it
// had already committed, so the next commit of the day still holds every bar.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "processing/records.hpp"

namespace soi {

// One BarDay per ticker, bars by ts; optional fields the file holds as NULL are
// left out of Bar::fields. Options partitions also give each BarDay its contract
// (underlying, type, strike, expiration). A missing file gives an empty result.
// Throws SoiError(storage) naming the file when it cannot be read.
std::vector<BarDay> read_bar_partition(const std::filesystem::path& file, std::string_view feed, Date date);

// The contracts of a committed options_contracts partition (a restarted stream
// keeps tracking what an earlier run re-centred onto). Missing file: empty.
// Throws SoiError(storage) naming the file when it cannot be read.
std::vector<OptionContract> read_contracts_partition(const std::filesystem::path& file, Date date);
// The whole universe of that partition (open, its source, band), nullopt when
// there is no file or it holds no contract.
std::optional<OptionsUniverse> read_universe_partition(const std::filesystem::path& file, Date date);

}  // namespace soi
