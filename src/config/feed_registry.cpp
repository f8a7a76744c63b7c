#include "config/feed_registry.hpp"

#include <algorithm>
#include <set>

#include "utils/error.hpp"

namespace soi {
namespace {

constexpr std::string_view kAll = "all";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

SoiError bad_registry(const std::string& what) {
  return SoiError(ErrorCategory::config, "feed registry: " + what);
}

}  // namespace

std::string_view to_string(DatasetKind kind) noexcept {
  switch (kind) {
    case DatasetKind::bars: return "bars";
    case DatasetKind::option_bars: return "option_bars";
    case DatasetKind::options_contracts: return "options_contracts";
    case DatasetKind::news: return "news";
  }
  return "?";
}

std::string_view to_string(ResponseShape shape) noexcept {
  switch (shape) {
    case ResponseShape::equity_aggs: return "equity_aggs";
    case ResponseShape::index_aggs: return "index_aggs";
    case ResponseShape::options_chain: return "options_chain";
    case ResponseShape::news: return "news";
  }
  return "?";
}

FeedRegistry::FeedRegistry(std::vector<FeedSpec> feeds) : feeds_(std::move(feeds)) {
  // The stream's log stores a feed's position in one byte.
  if (feeds_.size() > 255) throw bad_registry("more than 255 feeds");
  std::set<std::string, std::less<>> names, tables;
  for (const FeedSpec& f : feeds_) {
    if (f.name.empty() || f.name == kAll || f.name.find(',') != std::string::npos)
      throw bad_registry("invalid feed name '" + f.name + "'");
    if (!f.enabled || !f.rest_base_url || !f.rest_tickers || !f.page_limit)
      throw bad_registry("feed '" + f.name + "' lacks enabled, rest_base_url, rest_tickers or page_limit");
    for (const std::string& dependency : f.depends_on)
      if (!names.count(dependency))
        throw bad_registry("feed '" + f.name + "' depends on '" + dependency +
                           "', which must be a feed listed before it");
    if (!names.insert(f.name).second) throw bad_registry("feed '" + f.name + "' listed twice");
    if (f.sql_table.empty() || !tables.insert(f.sql_table).second)
      throw bad_registry("feed '" + f.name + "': SQL table '" + f.sql_table + "' is empty or taken");
    if (f.companion) {
      if (f.companion->name.empty() || f.companion->sql_table.empty() ||
          !tables.insert(f.companion->sql_table).second)
        throw bad_registry("feed '" + f.name + "': companion dataset needs a name and a table of its own");
    }
    if (f.dataset == DatasetKind::option_bars && !f.companion)
      throw bad_registry("option feed '" + f.name + "' needs its universe as a companion dataset");
    if (f.streamed() && f.ws_topic_prefix.empty())
      throw bad_registry("streamed feed '" + f.name + "' needs a topic prefix");
  }
  // A companion's folder must not collide with a feed's.
  for (const FeedSpec& f : feeds_)
    if (f.companion && names.count(f.companion->name))
      throw bad_registry("companion dataset '" + f.companion->name + "' has a feed's name");
}

const FeedSpec* FeedRegistry::find(std::string_view name) const noexcept {
  for (const FeedSpec& f : feeds_)
    if (f.name == name) return &f;
  return nullptr;
}

std::optional<std::size_t> FeedRegistry::index_of(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < feeds_.size(); ++i)
    if (feeds_[i].name == name) return i;
  return std::nullopt;
}

const FeedSpec& FeedRegistry::at(std::string_view name) const {
  if (const FeedSpec* f = find(name)) return *f;
  throw SoiError(ErrorCategory::config, "unknown feed '" + std::string(name) + "' (" + source_choices() + ")");
}

const FeedSpec& FeedRegistry::first_of(DatasetKind dataset) const {
  for (const FeedSpec& f : feeds_)
    if (f.dataset == dataset) return f;
  throw SoiError(ErrorCategory::config, "the feed registry has no feed of dataset " + std::string(to_string(dataset)));
}

std::string FeedRegistry::source_choices() const {
  std::string out;
  for (const FeedSpec& f : feeds_) out += f.name + ", ";
  return out + std::string(kAll);
}

SourceSelection FeedRegistry::parse_sources(std::string_view text) const {
  SourceSelection selection;
  std::vector<bool> named(feeds_.size(), false);
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string_view item = trim(text.substr(start, comma == std::string_view::npos ? text.npos : comma - start));
    if (item.empty())
      throw SoiError(ErrorCategory::config, "--source: empty feed name in '" + std::string(text) +
                                                "'; valid choices: " + source_choices());
    if (item == kAll) {
      selection.all_enabled = true;
    } else if (const auto index = index_of(item)) {
      named[*index] = true;
    } else {
      throw SoiError(ErrorCategory::config, "--source: unknown feed '" + std::string(item) +
                                                "'; valid choices: " + source_choices() +
                                                " (several as a comma list, e.g. spy,vix)");
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  for (std::size_t i = 0; i < feeds_.size(); ++i)
    if (named[i]) selection.names.push_back(feeds_[i].name);
  return selection;
}

std::vector<const FeedSpec*> FeedRegistry::selected(const SourceSelection& selection, const Config& config) const {
  std::vector<const FeedSpec*> out;
  for (const FeedSpec& f : feeds_) {
    const bool named = std::find(selection.names.begin(), selection.names.end(), f.name) != selection.names.end();
    if (named || (selection.all_enabled && f.enabled(config))) out.push_back(&f);
  }
  return out;
}

bool FeedRegistry::may_select(const SourceSelection& selection, DatasetKind dataset) const {
  for (const FeedSpec& f : feeds_) {
    if (f.dataset != dataset) continue;
    if (selection.all_enabled) return true;
    if (std::find(selection.names.begin(), selection.names.end(), f.name) != selection.names.end()) return true;
  }
  return false;
}

bool FeedRegistry::needed(const FeedSpec& feed, const Config& config) const {
  if (feed.enabled(config)) return true;
  // Dependents come after their dependencies, so one pass from the feed on suffices.
  const auto self = index_of(feed.name);
  if (!self) return false;
  for (std::size_t i = *self + 1; i < feeds_.size(); ++i) {
    const FeedSpec& f = feeds_[i];
    if (std::find(f.depends_on.begin(), f.depends_on.end(), feed.name) != f.depends_on.end() && needed(f, config))
      return true;
  }
  return false;
}

FeedRegistry default_feeds() {
  std::vector<FeedSpec> feeds;

  FeedSpec spy;
  spy.name = "spy";
  spy.dataset = DatasetKind::bars;
  spy.sql_table = "spy_bars";
  spy.shape = ResponseShape::equity_aggs;
  spy.rest_tickers = [](const Config& c) { return std::vector<std::string>{c.sources.spy.ticker}; };
  spy.rest_base_url = [](const Config& c) { return c.sources.rest_base_url; };
  spy.page_limit = [](const Config& c) { return c.sources.spy.page_limit; };
  spy.adjusted = [](const Config& c) { return c.sources.spy.adjusted; };
  spy.ws_market = "stocks";
  spy.ws_topic_prefix = "A";
  spy.enabled = [](const Config& c) { return c.sources.spy.enabled; };
  feeds.push_back(std::move(spy));

  FeedSpec vix;
  vix.name = "vix";
  vix.dataset = DatasetKind::bars;
  vix.sql_table = "vix_bars";
  vix.shape = ResponseShape::index_aggs;
  vix.rest_tickers = [](const Config& c) { return std::vector<std::string>{c.sources.vix.ticker}; };
  vix.rest_base_url = [](const Config& c) { return c.sources.vix.base_url; };
  vix.page_limit = [](const Config& c) { return c.sources.vix.page_limit; };
  vix.ws_market = "indices";
  vix.ws_topic_prefix = "A";
  vix.enabled = [](const Config& c) { return c.sources.vix.enabled; };
  feeds.push_back(std::move(vix));

  // The day's universe (options_contracts) is a companion, not a feed: it is
  // the selection the options bars of that day are fetched for, so it is
  // always written with them and never on its own.
  FeedSpec options;
  options.name = "options";
  options.dataset = DatasetKind::option_bars;
  options.sql_table = "option_bars";
  options.companion = CompanionDataset{"options_contracts", DatasetKind::options_contracts, "option_contracts"};
  options.shape = ResponseShape::options_chain;
  options.rest_tickers = [](const Config& c) { return std::vector<std::string>{c.sources.options.underlying}; };
  options.rest_base_url = [](const Config& c) { return c.sources.rest_base_url; };
  options.page_limit = [](const Config& c) { return c.sources.options.page_limit; };
  options.adjusted = [](const Config&) { return true; };  // contracts' bars are always adjusted
  options.ws_market = "options";
  options.ws_topic_prefix = "A";
  options.enabled = [](const Config& c) { return c.sources.options.enabled; };
  options.depends_on = {"spy"};  // the band is centred on SPY's open
  feeds.push_back(std::move(options));

  FeedSpec news;
  news.name = "news";
  news.dataset = DatasetKind::news;
  news.sql_table = "news";
  news.shape = ResponseShape::news;
  news.rest_tickers = [](const Config& c) { return c.sources.news.tickers; };
  news.rest_base_url = [](const Config& c) { return c.sources.rest_base_url; };
  news.page_limit = [](const Config& c) { return c.sources.news.page_limit; };
  news.enabled = [](const Config& c) { return c.sources.news.enabled; };
  feeds.push_back(std::move(news));

  return FeedRegistry(std::move(feeds));
}

const FeedRegistry& default_feed_registry() {
  static const FeedRegistry feeds = default_feeds();
  return feeds;
}

}  // namespace soi
