#include "sinks/duckdb/dataset_scan.hpp"

#include <cstring>
#include <exception>
#include <string>
#include <utility>

#include "sinks/duckdb/duckdb_session.hpp"
#include "sinks/list_gathering_writer.hpp"
#include "sinks/sql/consolidated_schema.hpp"
#include "utils/error.hpp"
#include "utils/json_text.hpp"

namespace soi {
namespace {

duckdb_type duckdb_type_of(LogicalType t) {
  switch (t) {
    case LogicalType::int32: return DUCKDB_TYPE_INTEGER;
    case LogicalType::int64: return DUCKDB_TYPE_BIGINT;
    case LogicalType::float64: return DUCKDB_TYPE_DOUBLE;
    case LogicalType::timestamp_ms: return DUCKDB_TYPE_TIMESTAMP_TZ;
    case LogicalType::date: return DUCKDB_TYPE_DATE;
    case LogicalType::text:
    case LogicalType::text_list:    // JSON text, typed by the query
    case LogicalType::struct_list: return DUCKDB_TYPE_VARCHAR;
  }
  return DUCKDB_TYPE_VARCHAR;
}

// Rows into one output chunk, column by column of the current row.
class ChunkWriter : public ListGatheringWriter {
 public:
  ChunkWriter(const std::vector<Column>& columns, duckdb_data_chunk chunk)
      : ListGatheringWriter(columns), columns_(columns), capacity_(duckdb_vector_size()) {
    vectors_.resize(columns.size());
    data_.resize(columns.size());
    masks_.assign(columns.size(), nullptr);
    last_long_.assign(columns.size(), nullptr);
    for (idx_t c = 0; c < columns.size(); ++c) {
      vectors_[c] = duckdb_data_chunk_get_vector(chunk, c);
      data_[c] = duckdb_vector_get_data(vectors_[c]);  // once per chunk: a library call per value costs more than the value
      // A chunk may be reused between calls: a mask left from the previous chunk
      // must not mark rows NULL, so reset any mask that is already there.
      if (duckdb_vector_get_validity(vectors_[c])) masks_[c] = writable_validity(c);
    }
  }

  idx_t rows() const { return row_; }
  bool full() const { return row_ >= capacity_; }

  void int64(std::int64_t v) override {
    if (columns_[col_].type == LogicalType::int32) at<std::int32_t>() = static_cast<std::int32_t>(v);
    else at<std::int64_t>() = v;
    ++col_;
  }
  void float64(double v) override {
    at<double>() = v;
    ++col_;
  }
  void text(std::string_view v) override {
    if (gathered(v)) return;
    duckdb_string_t& slot = at<duckdb_string_t>();
    if (v.size() <= kInlinedBytes) {
      // DuckDB's inlined form (length + up to 12 bytes, the rest zero): no heap,
      // no library call. Origins, contract types and most tickers fit.
      slot = duckdb_string_t{};
      slot.value.inlined.length = static_cast<std::uint32_t>(v.size());
      std::memcpy(slot.value.inlined.inlined, v.data(), v.size());
    } else if (const duckdb_string_t* last = last_long_[col_];
               last && last->value.pointer.length == v.size() &&
               std::memcmp(last->value.pointer.ptr, v.data(), v.size()) == 0) {
      // The value of this column's previous long string in this chunk (an
      // option ticker repeats for every bar of its day): share the copy already
      // in the vector's string heap instead of copying it again.
      slot = *last;
    } else {
      duckdb_vector_assign_string_element_len(vectors_[col_], row_, v.data(), v.size());
      last_long_[col_] = &slot;
    }
    ++col_;
  }
  void timestamp_ms(std::int64_t utc_ms) override {
    at<std::int64_t>() = utc_ms * 1000;  // TIMESTAMPTZ: microseconds, UTC
    ++col_;
  }
  void date(Date d) override {
    at<duckdb_date>() = duckdb_date{static_cast<std::int32_t>(to_sys(d).time_since_epoch().count())};
    ++col_;
  }
  void null() override {
    if (!masks_[col_]) masks_[col_] = writable_validity(col_);
    duckdb_validity_set_row_invalid(masks_[col_], row_);
    ++col_;
  }
  void end_row() override {
    ++row_;
    col_ = 0;
    row_done();
  }

 private:
  // The current column's slot of the current row.
  template <class T>
  T& at() {
    return static_cast<T*>(data_[col_])[row_];
  }

  void write_list(const Column& column, const std::vector<std::string>& elements) override {
    std::string json;
    if (column.type == LogicalType::struct_list) {
      json = sql::struct_list_json(column, elements);
    } else {
      json = "[";
      for (const std::string& e : elements) {
        if (json.size() > 1) json += ',';
        append_json_quoted(json, e);
      }
      json += ']';
    }
    duckdb_vector_assign_string_element_len(vectors_[col_++], row_, json.data(), json.size());
  }

  std::uint64_t* writable_validity(idx_t c) {
    duckdb_vector_ensure_validity_writable(vectors_[c]);
    std::uint64_t* mask = duckdb_vector_get_validity(vectors_[c]);
    std::memset(mask, 0xFF, ((capacity_ + 63) / 64) * sizeof(std::uint64_t));
    return mask;
  }

  static constexpr std::size_t kInlinedBytes = sizeof(duckdb_string_t::value.inlined.inlined);

  const std::vector<Column>& columns_;
  idx_t capacity_;
  std::vector<const duckdb_string_t*> last_long_;  // per column: the last string copied into the heap
  std::vector<duckdb_vector> vectors_;
  std::vector<void*> data_;
  std::vector<std::uint64_t*> masks_;
  idx_t row_ = 0;
  std::size_t col_ = 0;
};

// C callbacks: no exception may cross into DuckDB.
void bind(duckdb_bind_info info) {
  const auto* src = static_cast<const DatasetScan::Source*>(duckdb_bind_get_extra_info(info));
  for (const Column& c : src->columns) {
    duckdb_logical_type type = duckdb_create_logical_type(duckdb_type_of(c.type));
    duckdb_bind_add_result_column(info, c.name.c_str(), type);
    duckdb_destroy_logical_type(&type);
  }
  duckdb_bind_set_cardinality(info, src->rows, true);
}

void init(duckdb_init_info info) {
  const auto* src = static_cast<const DatasetScan::Source*>(duckdb_init_get_extra_info(info));
  if (!src->partition) {
    duckdb_init_set_error(info, "soi_dataset_scan: no partition is set (the sink sets one per write)");
    return;
  }
  try {
    auto cursor = src->partition->dataset->rows(*src->partition, src->stamp, kRoleRow);
    duckdb_init_set_init_data(info, cursor.release(), [](void* p) { delete static_cast<RowCursor*>(p); });
    duckdb_init_set_max_threads(info, 1);  // one cursor: emission order is the file order
  } catch (const std::exception& e) {
    duckdb_init_set_error(info, e.what());
  }
}

void scan(duckdb_function_info info, duckdb_data_chunk output) {
  try {
    const auto* src = static_cast<const DatasetScan::Source*>(duckdb_function_get_extra_info(info));
    auto* cursor = static_cast<RowCursor*>(duckdb_function_get_init_data(info));
    ChunkWriter writer(src->columns, output);
    while (!writer.full() && cursor->write_next(writer)) {
    }
    duckdb_data_chunk_set_size(output, writer.rows());
  } catch (const std::exception& e) {
    duckdb_function_set_error(info, e.what());
  }
}

}  // namespace

DatasetScan::DatasetScan(const DuckDbSession& session, std::string name)
    : name_(std::move(name)), source_(std::make_unique<Source>()) {
  duckdb_table_function fn = duckdb_create_table_function();
  duckdb_table_function_set_name(fn, name_.c_str());
  duckdb_table_function_set_extra_info(fn, source_.get(), nullptr);
  duckdb_table_function_set_bind(fn, bind);
  duckdb_table_function_set_init(fn, init);
  duckdb_table_function_set_function(fn, scan);
  const duckdb_state state = duckdb_register_table_function(session.connection(), fn);
  duckdb_destroy_table_function(&fn);
  if (state == DuckDBError)
    throw SoiError(ErrorCategory::storage, "duckdb: cannot register table function " + name_);
}

DatasetScan::~DatasetScan() = default;

void DatasetScan::set(const Partition& partition, const WriteStamp& stamp) {
  source_->partition = &partition;
  source_->stamp = stamp;
  source_->columns.clear();
  for (Column& c : partition.dataset->columns(partition))
    if (c.role == kRoleRow) source_->columns.push_back(std::move(c));
  source_->rows = partition.dataset->row_count(partition);
}

void DatasetScan::clear() {
  source_->partition = nullptr;
  source_->columns.clear();
  source_->rows = 0;
}

}  // namespace soi
