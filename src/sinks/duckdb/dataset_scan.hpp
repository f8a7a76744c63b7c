// A DuckDB table function that streams any dataset's partition straight from our
// records into a query: `COPY (SELECT ... FROM soi_dataset_scan()) TO ...` (the Parquet
// sink) and `INSERT INTO t SELECT ... FROM soi_dataset_scan()` (the consolidated DuckDB
// sink) read the rows with no staging table and no per-value library call.
//
// Its columns are the dataset's kRoleRow columns, in order, typed from their logical
// type (timestamps TIMESTAMPTZ, dates DATE, int32 INTEGER, ...); a list column comes out
// as JSON text, which the query turns into a typed list (dataset_select builds that
// query). Rows come from the dataset's RowCursor, so the scan knows no record type.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "processing/dataset.hpp"

namespace soi {

class DuckDbSession;

class DatasetScan {
 public:
  static constexpr const char* kFunctionName = "soi_dataset_scan";

  // Registers the function on the session's database under `name` (one name
  // per scan: connections of one database share its catalog). The DatasetScan
  // must outlive every query that calls the function (the sink owns both).
  explicit DatasetScan(const DuckDbSession& session, std::string name = kFunctionName);
  ~DatasetScan();
  DatasetScan(const DatasetScan&) = delete;
  DatasetScan& operator=(const DatasetScan&) = delete;

  // The rows the next query reads. The partition must stay valid until clear().
  // Not thread-safe: the caller serializes queries on its one connection anyway.
  void set(const Partition& partition, const WriteStamp& stamp);
  void clear();
  // The name queries call the function by.
  const std::string& name() const { return name_; }

  struct Source {
    const Partition* partition = nullptr;
    WriteStamp stamp;
    std::vector<Column> columns;  // the kRoleRow columns
    std::uint64_t rows = 0;
  };

 private:
  std::string name_;
  std::unique_ptr<Source> source_;  // stable address handed to DuckDB as extra info
};

}  // namespace soi
