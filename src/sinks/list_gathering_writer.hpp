// A RowWriter base for backends that store a list as one value (an array literal, a
// JSON document): it gathers a list's elements and hands the whole list to
// write_list() with its column. The k-th list of a row belongs to the k-th list column
// of `columns` (the columns the writer was asked for, in order).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "processing/dataset.hpp"
#include "utils/error.hpp"

namespace soi {

class ListGatheringWriter : public RowWriter {
 public:
  explicit ListGatheringWriter(const std::vector<Column>& columns) {
    for (const Column& c : columns)
      if (c.type == LogicalType::text_list || c.type == LogicalType::struct_list) list_columns_.push_back(c);
  }

  void begin_list(std::size_t elements) final {
    if (next_list_ >= list_columns_.size())
      throw SoiError(ErrorCategory::schema, "a row has more lists than its columns");
    in_list_ = true;
    elements_.clear();
    elements_.reserve(elements);
  }
  void end_list() final {
    in_list_ = false;
    write_list(list_columns_[next_list_++], elements_);
  }

 protected:
  // The list value of `column`: text elements, or for a list of structs every
  // field of each element in struct_fields order.
  virtual void write_list(const Column& column, const std::vector<std::string>& elements) = 0;

  // Call first in text(): true when the value was a list element (gathered).
  bool gathered(std::string_view value) {
    if (!in_list_) return false;
    elements_.emplace_back(value);
    return true;
  }
  // Call in end_row().
  void row_done() { next_list_ = 0; }

 private:
  std::vector<Column> list_columns_;
  std::vector<std::string> elements_;
  std::size_t next_list_ = 0;
  bool in_list_ = false;
};

}  // namespace soi
