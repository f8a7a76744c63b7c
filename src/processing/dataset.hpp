// One description per stored record type (a Dataset): its columns, in the order every
// backend writes them, each with a logical type, nullability and role, and one way to
// walk a partition's rows. Backends never name a column or a feed themselves: DDL and
// migrations, COPY column lists and the rows they load all come from here, so two
// backends cannot drift apart and a new backend adds one RowWriter.
//
// Datasets: bars (spy, vix and any other bar feed), option_bars (bars plus the
// contract's terms), options_contracts (the day's universe), news (articles with one
// sentiment column per configured ticker, inserted before ingested_at).
//
// Threads: datasets are immutable singletons, safe from any thread. A RowCursor and a
// RowWriter belong to the one thread that uses them.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/feed_registry.hpp"
#include "processing/records.hpp"
#include "utils/time_util.hpp"

namespace soi {

enum class LogicalType : std::uint8_t {
  int32,
  int64,
  float64,
  timestamp_ms,  // UTC, millisecond precision
  date,
  text,
  text_list,     // a list of text
  struct_list,   // a list of structs whose fields are all text (Column::struct_fields)
};

// Where a column's value comes from. Backends that store the partition key outside
// the rows (a hive directory) or that project constants once skip those roles.
enum ColumnRole : std::uint8_t {
  kRoleDate = 1 << 0,      // the partition's date (hive backends keep it in the path)
  kRoleRow = 1 << 1,       // read from each record
  kRoleConstant = 1 << 2,  // the same for every row of a partition (run id, ingestion time, the universe's band)
  kAllRoles = kRoleDate | kRoleRow | kRoleConstant,
};

struct Column {
  std::string name;
  LogicalType type = LogicalType::text;
  bool nullable = false;
  ColumnRole role = kRoleRow;
  std::vector<std::string> struct_fields = {};  // struct_list only
};

// What a backend implements to receive rows. Values arrive in column order; NULL only
// for nullable columns. A list value is begin_list(n), then its n elements (a list of
// structs: every field of one element, in struct_fields order, then the next), then end_list.
class RowWriter {
 public:
  virtual ~RowWriter() = default;
  virtual void int64(std::int64_t value) = 0;
  virtual void float64(double value) = 0;
  virtual void text(std::string_view value) = 0;
  virtual void timestamp_ms(std::int64_t utc_ms) = 0;
  virtual void date(Date value) = 0;
  virtual void null() = 0;
  virtual void begin_list(std::size_t elements) = 0;
  virtual void end_list() = 0;
  virtual void end_row() = 0;
};

class Dataset;

// One dataset's rows for one day: what Sink::write receives. Exactly the record span
// of its dataset is set; the rest stay empty. Non-owning: valid for the write call.
struct Partition {
  const Dataset* dataset = nullptr;
  std::string_view name;   // the feed's storage name: raw/<name>/date=..., messages, results
  std::string_view table;  // the SQL table of the feed
  Date date;
  std::span<const BarDay> bars;                   // bars, option_bars
  const OptionsUniverse* universe = nullptr;      // options_contracts
  std::span<const NewsArticle> articles;          // news
  std::span<const std::string> sentiment_tickers; // news: one sentiment_<ticker> column each
  // The day's regular session in UTC ms [open, close) (bar partitions; 0 when unknown):
  // SQL backends keep it so that the consolidated view has one row per session second.
  std::int64_t session_open_ms = 0;
  std::int64_t session_close_ms = 0;
};

// Values that are the same for every row of one write.
struct WriteStamp {
  std::string_view run_id;
  std::int64_t ingested_at_ms = 0;
};

// Walks a partition's rows, one row per write_next().
class RowCursor {
 public:
  virtual ~RowCursor() = default;
  // Writes the next row (the columns of the requested roles, then end_row).
  // Returns false, writing nothing, when the rows are exhausted.
  virtual bool write_next(RowWriter& out) = 0;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  // "bars", "option_bars", "options_contracts", "news".
  virtual std::string_view name() const = 0;
  // Every column in write order, the partition's dynamic columns included (news:
  // one per distinct sentiment column of partition.sentiment_tickers).
  virtual std::vector<Column> columns(const Partition& partition) const = 0;
  // The columns a new table starts with (no dynamic columns: those arrive as migrations).
  std::vector<Column> base_columns() const { return columns(Partition{}); }
  // The dedup key, a subset of the columns.
  virtual std::vector<std::string> key() const = 0;
  // True when the key identifies a row across days (news: an article whose
  // publication time moved to another day replaces its old row there).
  virtual bool key_spans_days() const { return false; }
  // The order readers expect rows in (Parquet writes it).
  virtual std::vector<std::string> sort_order() const = 0;
  virtual std::uint64_t row_count(const Partition& partition) const = 0;
  // A cursor over the partition's rows writing the columns whose role is in `roles`.
  // It emits rows in sort_order() when emits_sorted(partition) says so.
  virtual std::unique_ptr<RowCursor> rows(const Partition& partition, const WriteStamp& stamp,
                                          std::uint8_t roles = kAllRoles) const = 0;
  virtual bool emits_sorted(const Partition& partition) const = 0;
  // Writes the kRoleConstant columns' values once, in column order (no end_row):
  // for backends that project them instead of storing them row by row.
  virtual void write_constants(const Partition& partition, const WriteStamp& stamp, RowWriter& out) const = 0;

  // Names of columns(partition) whose role is in `roles`, in order.
  std::vector<std::string> column_names(const Partition& partition, std::uint8_t roles = kAllRoles) const;
};

const Dataset& bars_dataset();
const Dataset& option_bars_dataset();
const Dataset& options_contracts_dataset();
const Dataset& news_dataset();
// The dataset of a feed registry entry's kind.
const Dataset& dataset_for(DatasetKind kind);
// Every dataset, for backends that create every table up front.
std::span<const Dataset* const> all_datasets();

// "sentiment_spy" for "SPY", "sentiment_brk_b" for "BRK.B".
std::string sentiment_column(std::string_view ticker);
// The sentiment of the article's first insight naming `ticker` (case-insensitive),
// nullopt when it has none or it is empty.
std::optional<std::string_view> sentiment_for(const NewsArticle& article, std::string_view ticker);

}  // namespace soi
