// The feed registry: one table of every feed soi collects, and what each one
// is (its --source name and data/raw folder, its dataset, how REST and the
// WebSocket serve it, its SQL table, whether the configuration enables it,
// which feed it needs first). The backfill runner, --source, the stream
// session, gap repair and the SQL sinks' table names are all driven from it,
// so a new bar feed is one entry here plus its configuration rows.
//
// Guarantees: a FeedRegistry is immutable once built and validated: names are
// unique and non-empty, SQL tables are unique, and every depends_on names a
// feed that comes EARLIER in the table (so table order is an order in which
// the feeds can run). The position of a feed is also the feed id the stream
// writes into its write-ahead log: entries are only ever appended, never
// reordered or removed (a log written by an older binary must replay).
//
// Threads: read-only after construction; any thread may read it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace soi {

// The shape of a dataset's records; each maps to one column schema.
enum class DatasetKind { bars, option_bars, options_contracts, news };

// What the REST API answers for a feed.
enum class ResponseShape {
  equity_aggs,    // /v2/aggs, t o h l c v vw n
  index_aggs,     // /v2/aggs of an index (I:VIX): t o h l c only
  options_chain,  // /v3/reference/options/contracts, then /v2/aggs per contract
  news,           // /v2/reference/news
};

std::string_view to_string(DatasetKind kind) noexcept;
std::string_view to_string(ResponseShape shape) noexcept;

// A dataset a feed writes beside its own, day by day, with no source of its
// own (the options feed's universe: options_contracts). Every option_bars
// feed has one.
struct CompanionDataset {
  std::string name;       // data/raw/<name>
  DatasetKind dataset = DatasetKind::options_contracts;
  std::string sql_table;  // "option_contracts"
};

struct FeedSpec {
  std::string name;                       // --source value and data/raw/<name>: "spy"
  DatasetKind dataset = DatasetKind::bars;
  std::string sql_table;                  // "spy_bars"
  std::optional<CompanionDataset> companion;

  // REST.
  ResponseShape shape = ResponseShape::equity_aggs;
  std::vector<std::string> (*rest_tickers)(const Config&) = nullptr;  // bars: one; news: one stream each
  std::string (*rest_base_url)(const Config&) = nullptr;              // already overridden by --base-url
  int (*page_limit)(const Config&) = nullptr;
  bool (*adjusted)(const Config&) = nullptr;                          // nullptr: not adjusted

  // WebSocket: "" for a feed that is not streamed (news is polled over REST).
  std::string ws_market;                  // "stocks", "indices", "options"
  std::string ws_topic_prefix;            // "A": per-second aggregates

  bool (*enabled)(const Config&) = nullptr;
  std::vector<std::string> depends_on;    // feeds this one needs first (options: SPY's open)

  bool streamed() const noexcept { return !ws_market.empty(); }
};

// What --source selects: every enabled feed (`all`, or no --source), and/or
// named feeds (run even when disabled in sources.yaml, as asked).
struct SourceSelection {
  bool all_enabled = false;
  std::vector<std::string> names;  // registry order, no duplicates
};

class FeedRegistry {
 public:
  // Throws SoiError(config) when the table breaks a guarantee above.
  explicit FeedRegistry(std::vector<FeedSpec> feeds);

  const std::vector<FeedSpec>& feeds() const noexcept { return feeds_; }
  std::size_t size() const noexcept { return feeds_.size(); }
  const FeedSpec& operator[](std::size_t index) const { return feeds_.at(index); }

  const FeedSpec* find(std::string_view name) const noexcept;
  std::optional<std::size_t> index_of(std::string_view name) const noexcept;
  // Throws SoiError(config) for a name not in the registry.
  const FeedSpec& at(std::string_view name) const;
  // The first feed whose own dataset is `dataset` (a companion does not count).
  // Throws SoiError(config) when there is none.
  const FeedSpec& first_of(DatasetKind dataset) const;

  // "spy, vix, options, news, all".
  std::string source_choices() const;
  // A --source value: comma-separated feed names and/or `all`; spaces around
  // names are ignored, duplicates collapse. Throws SoiError(config) naming the
  // valid choices for an unknown or empty name.
  SourceSelection parse_sources(std::string_view text) const;
  // The feeds a selection runs, in registry order.
  std::vector<const FeedSpec*> selected(const SourceSelection& selection, const Config& config) const;
  // Whether any feed `selection` can run has this dataset (e.g. option_bars).
  bool may_select(const SourceSelection& selection, DatasetKind dataset) const;

  // Whether `feed` must be streamed: it is enabled, or an enabled feed depends on it.
  bool needed(const FeedSpec& feed, const Config& config) const;

 private:
  std::vector<FeedSpec> feeds_;
};

// Today's feeds, in this order (their stream log ids): spy, vix, options, news.
FeedRegistry default_feeds();
// default_feeds(), built once, for code that needs a feed's names without being
// handed its FeedSpec (a universe or news partition, a committed universe read back).
const FeedRegistry& default_feed_registry();

}  // namespace soi
