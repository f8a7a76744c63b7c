// The SELECT that turns a dataset scan into the columns of a Parquet partition: the
// dataset's columns in order, without the hive partition column (date, which is the
// directory), row columns from the scan (lists typed from their JSON text), constant
// columns projected once as typed literals, ordered by the dataset's sort order
// unless the rows already come out in it.
#pragma once

#include <string>
#include <string_view>

#include "processing/dataset.hpp"

namespace soi {

std::string parquet_select(const Partition& partition, const WriteStamp& stamp, std::string_view scan_function);

}  // namespace soi
