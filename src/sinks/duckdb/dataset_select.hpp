// The SELECT that turns a dataset scan (DatasetScan) into the columns a sink
// stores: the dataset's columns in order, row columns from the scan (text lists
// typed from their JSON text), constant columns projected once as typed literals,
// ordered by the dataset's sort order unless the rows already come out in it.
//
// Two targets, one query shape:
//   parquet_file  the columns of a Parquet partition: no `date` (the hive
//                 directory holds it), lists of structs typed as STRUCT(...)[];
//   sql_table     the columns of a consolidated table (INSERT INTO t (columns)
//                 SELECT ...): `date` as a literal, lists of structs left as the
//                 JSON text the table's JSON column stores.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "processing/dataset.hpp"

namespace soi {

enum class SelectTarget { parquet_file, sql_table };

std::string dataset_select(const Partition& partition, const WriteStamp& stamp, std::string_view scan_function,
                           SelectTarget target);

// The names of the columns dataset_select(..., target) produces, in order.
std::vector<std::string> dataset_select_columns(const Partition& partition, SelectTarget target);

}  // namespace soi
