#include "sinks/clickhouse/row_binary_writer.hpp"

#include <cstring>

#include "sinks/sql/consolidated_schema.hpp"
#include "utils/error.hpp"

namespace soi {

std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

RowBinaryWriter::RowBinaryWriter(const std::vector<Column>& columns, std::string_view routing_column,
                                 std::size_t shards)
    : ListGatheringWriter(columns),
      columns_(columns),
      routing_index_(columns.size()),
      bodies_(shards == 0 ? 1 : shards),
      rows_(bodies_.size(), 0) {
  for (std::size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i].name == routing_column) routing_index_ = i;
  out_ = bodies_.size() == 1 ? &bodies_[0] : &row_;
}

const Column& RowBinaryWriter::next_column() {
  if (column_ >= columns_.size())
    throw SoiError(ErrorCategory::schema, "a row has more values than its " + std::to_string(columns_.size()) +
                                              " columns");
  return columns_[column_++];
}

void RowBinaryWriter::present(const Column& column) {
  if (column.nullable && column.type != LogicalType::text_list) out_->push_back('\0');
}

template <typename T>
void RowBinaryWriter::append_raw(T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // little-endian hosts only (x86-64, arm64)
  out_->append(bytes, sizeof(T));
}

void RowBinaryWriter::append_varint(std::uint64_t n) {
  do {
    std::uint8_t byte = n & 0x7f;
    n >>= 7;
    if (n) byte |= 0x80;
    out_->push_back(static_cast<char>(byte));
  } while (n);
}

void RowBinaryWriter::append_string(std::string_view value) {
  append_varint(value.size());
  out_->append(value.data(), value.size());
}

void RowBinaryWriter::int64(std::int64_t value) {
  const Column& c = next_column();
  present(c);
  if (c.type == LogicalType::int32) {
    append_raw(static_cast<std::int32_t>(value));
  } else {
    append_raw(value);
  }
}

void RowBinaryWriter::float64(double value) {
  present(next_column());
  append_raw(value);
}

void RowBinaryWriter::text(std::string_view value) {
  if (gathered(value)) return;
  if (column_ == routing_index_) route_hash_ = fnv1a64(value);
  present(next_column());
  append_string(value);
}

void RowBinaryWriter::timestamp_ms(std::int64_t utc_ms) {
  present(next_column());
  append_raw(utc_ms);
}

void RowBinaryWriter::date(Date value) {
  present(next_column());
  append_raw(static_cast<std::uint16_t>(to_sys(value).time_since_epoch().count()));
}

void RowBinaryWriter::null() {
  const Column& c = next_column();
  if (!c.nullable)
    throw SoiError(ErrorCategory::schema, "column " + c.name + " is not nullable but a row has no value for it");
  out_->push_back('\1');
}

void RowBinaryWriter::write_list(const Column& column, const std::vector<std::string>& elements) {
  const Column& c = next_column();
  if (c.name != column.name)
    throw SoiError(ErrorCategory::schema, "list column " + column.name + " arrived in place of " + c.name);
  present(c);
  if (column.type == LogicalType::struct_list) {
    append_string(sql::struct_list_json(column, elements));
    return;
  }
  append_varint(elements.size());
  for (const std::string& e : elements) append_string(e);
}

void RowBinaryWriter::end_row() {
  if (column_ != columns_.size())
    throw SoiError(ErrorCategory::schema, "a row has " + std::to_string(column_) + " values for " +
                                              std::to_string(columns_.size()) + " columns");
  column_ = 0;
  row_done();
  if (bodies_.size() == 1) {
    ++rows_[0];
    return;
  }
  const std::size_t shard = route_hash_ % bodies_.size();
  bodies_[shard] += row_;
  ++rows_[shard];
  row_.clear();
}

}  // namespace soi
