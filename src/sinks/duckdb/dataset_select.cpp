#include "sinks/duckdb/dataset_select.hpp"

#include <cmath>
#include <cstdio>
#include <vector>

#include "sinks/duckdb/duckdb_session.hpp"
#include "sinks/sql/consolidated_schema.hpp"
#include "utils/error.hpp"

namespace soi {
namespace {

// The constant columns' values as DuckDB literals cast to their column's type.
class LiteralWriter : public RowWriter {
 public:
  explicit LiteralWriter(std::vector<Column> columns) : columns_(std::move(columns)) {}
  const std::vector<std::string>& literals() const { return literals_; }

  void int64(std::int64_t v) override { add(std::to_string(v)); }
  void float64(double v) override {
    if (!std::isfinite(v)) return add("NULL");
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.17g", v);  // round-trips exactly
    add(buffer);
  }
  void text(std::string_view v) override { add(DuckDbSession::quote(v)); }
  void timestamp_ms(std::int64_t utc_ms) override { add(DuckDbSession::quote(format_utc_iso_ms(utc_ms))); }
  void date(Date d) override { add(DuckDbSession::quote(format_date(d))); }
  void null() override { add("NULL"); }
  void begin_list(std::size_t) override {
    throw SoiError(ErrorCategory::schema, "a constant column cannot be a list");
  }
  void end_list() override {}
  void end_row() override {}

 private:
  void add(std::string value) {
    if (literals_.size() >= columns_.size())
      throw SoiError(ErrorCategory::schema, "more constant values than constant columns");
    const Column& c = columns_[literals_.size()];
    literals_.push_back("CAST(" + value + " AS " + sql::type_name(sql::Dialect::duckdb, c.type) + ")");
  }
  std::vector<Column> columns_;
  std::vector<std::string> literals_;
};

// A scan column's expression: lists arrive as JSON text.
std::string row_expression(const Column& c, SelectTarget target) {
  const std::string name = sql::quote_ident(c.name);
  if (c.type == LogicalType::text_list) return "CAST(from_json(" + name + ", '[\"VARCHAR\"]') AS VARCHAR[])";
  if (c.type == LogicalType::struct_list && target == SelectTarget::parquet_file) {
    std::string json_shape = "[{", struct_type = "STRUCT(";
    for (std::size_t i = 0; i < c.struct_fields.size(); ++i) {
      json_shape += (i ? ",\"" : "\"") + c.struct_fields[i] + "\":\"VARCHAR\"";
      struct_type += (i ? ", " : "") + sql::quote_ident(c.struct_fields[i]) + " VARCHAR";
    }
    return "CAST(from_json(" + name + ", " + DuckDbSession::quote(json_shape + "}]") + ") AS " + struct_type + ")[])";
  }
  return name;
}

bool selected(const Column& c, SelectTarget target) {
  return c.role != kRoleDate || target == SelectTarget::sql_table;  // a hive directory holds the date
}

}  // namespace

std::vector<std::string> dataset_select_columns(const Partition& partition, SelectTarget target) {
  std::vector<std::string> names;
  for (const Column& c : partition.dataset->columns(partition))
    if (selected(c, target)) names.push_back(c.name);
  return names;
}

std::string dataset_select(const Partition& partition, const WriteStamp& stamp, std::string_view scan_function,
                           SelectTarget target) {
  const Dataset& dataset = *partition.dataset;
  const std::vector<Column> columns = dataset.columns(partition);
  std::vector<Column> constants;
  for (const Column& c : columns)
    if (c.role == kRoleConstant) constants.push_back(c);
  LiteralWriter literal(constants);
  dataset.write_constants(partition, stamp, literal);
  if (literal.literals().size() != constants.size())
    throw SoiError(ErrorCategory::schema, "dataset " + std::string(dataset.name()) + " wrote " +
                                              std::to_string(literal.literals().size()) + " constants for " +
                                              std::to_string(constants.size()) + " constant columns");
  std::string select = "SELECT ";
  std::size_t next_constant = 0;
  bool first = true;
  for (const Column& c : columns) {
    if (!selected(c, target)) continue;
    if (!first) select += ", ";
    first = false;
    std::string expression;
    if (c.role == kRoleConstant) expression = literal.literals()[next_constant++];
    else if (c.role == kRoleDate) expression = "CAST(" + DuckDbSession::quote(format_date(partition.date)) + " AS DATE)";
    else expression = row_expression(c, target);
    select += expression + " AS " + sql::quote_ident(c.name);
  }
  select += " FROM " + std::string(scan_function) + "()";
  if (!dataset.emits_sorted(partition)) {
    std::string order;
    for (const std::string& c : dataset.sort_order()) order += (order.empty() ? "" : ", ") + sql::quote_ident(c);
    select += " ORDER BY " + order;
  }
  return select;
}

}  // namespace soi
