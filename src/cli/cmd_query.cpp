// soi query: run SQL on an embedded DuckDB (over the Parquet files, or a
// database file) so the data can be explored without installing anything.
#include <algorithm>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "sinks/duckdb/duckdb_session.hpp"
#include "utils/json_text.hpp"

namespace soi::cli {
namespace {

void print_table(const std::vector<std::string>& names, const std::vector<std::vector<std::optional<std::string>>>& rows) {
  std::vector<std::size_t> width(names.size());
  for (std::size_t c = 0; c < names.size(); ++c) width[c] = names[c].size();
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].value_or("NULL").size());
  auto line = [&](auto cell) {
    std::string out;
    for (std::size_t c = 0; c < names.size(); ++c) out += fmt::format("{}{:<{}}", c ? "  " : "", cell(c), width[c]);
    std::cout << out << "\n";
  };
  line([&](std::size_t c) { return names[c]; });
  line([&](std::size_t c) { return std::string(width[c], '-'); });
  for (const auto& row : rows) line([&](std::size_t c) { return row[c].value_or("NULL"); });
}

}  // namespace

void add_query_command(CLI::App& app, const GlobalOptions& global, Runner& runner) {
  auto sql = std::make_shared<std::string>();
  auto database = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("query", "Run SQL on an embedded DuckDB, e.g. over data/raw/*/*/*.parquet");
  cmd->add_option("sql", *sql, "the SQL statement")->required();
  cmd->add_option("--database", *database, "DuckDB database file to open read-only (default: in-memory)");
  cmd->add_flag("--json", *json, "print rows as JSON lines");
  (void)global;
  cmd->callback([&runner, sql, database, json]() {
    runner = [sql, database, json]() -> int {
      DuckDbSession session(*database, 0, !database->empty());
      auto result = session.query_with_names(*sql);
      if (*json) {
        for (const auto& row : result.rows) {
          std::string out;
          for (std::size_t c = 0; c < row.size(); ++c)
            out += fmt::format("{}{}:{}", c ? "," : "", json_quote(result.names[c]),
                               row[c] ? json_quote(*row[c]) : "null");
          std::cout << "{" << out << "}\n";
        }
      } else {
        print_table(result.names, result.rows);
      }
      return 0;
    };
  });
}

}  // namespace soi::cli
