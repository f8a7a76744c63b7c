// Rows in ClickHouse's RowBinary input format, split by shard. Format (little
// endian): Int32/Int64/Float64 as 4/8/8 bytes, Date as UInt16 days since
// 1970-01-01, String as a LEB128 length and its bytes, Array as a LEB128 count
// and its elements, Nullable as one byte (1 = NULL) before a present value.
// Timestamps are Int64 UTC ms; a list of structs is its JSON document (String),
// as sql/clickhouse_schema.hpp lays the tables out.
//
// A row goes to shard fnv1a64(value of the routing column) % shards, so a ticker's
// rows always land on the same shard; with one shard rows go straight to its body.
// Threads: one writer per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "processing/dataset.hpp"
#include "sinks/list_gathering_writer.hpp"

namespace soi {

// FNV-1a 64 of `text`: stable across runs, builds and machines.
std::uint64_t fnv1a64(std::string_view text);

class RowBinaryWriter : public ListGatheringWriter {
 public:
  // columns: what the cursor writes, in order; routing_column: the column whose
  // text value picks the shard (ignored with one shard).
  RowBinaryWriter(const std::vector<Column>& columns, std::string_view routing_column, std::size_t shards);

  void int64(std::int64_t value) override;
  void float64(double value) override;
  void text(std::string_view value) override;
  void timestamp_ms(std::int64_t utc_ms) override;
  void date(Date value) override;
  void null() override;
  void end_row() override;

  // The encoded rows of each shard, and how many rows each holds.
  std::vector<std::string>& bodies() { return bodies_; }
  const std::vector<std::uint64_t>& rows() const { return rows_; }

 private:
  void write_list(const Column& column, const std::vector<std::string>& elements) override;
  const Column& next_column();
  void present(const Column& column);
  void append_varint(std::uint64_t value);  // LEB128
  void append_string(std::string_view value);
  template <typename T>
  void append_raw(T value);

  std::vector<Column> columns_;
  std::size_t routing_index_;
  std::vector<std::string> bodies_;
  std::vector<std::uint64_t> rows_;
  std::string row_;      // the row being written when rows are routed
  std::string* out_;     // row_ or the one body
  std::size_t column_ = 0;
  std::uint64_t route_hash_ = 0;
};

}  // namespace soi
