#include "sinks/sink.hpp"

#include "config/feed_registry.hpp"

namespace soi {

Partition to_partition(const BarPartition& p) {
  Partition out;
  out.dataset = p.dataset ? p.dataset : &bars_dataset();
  out.name = p.feed;
  out.table = p.sql_table;
  out.date = p.date;
  out.bars = p.tickers;
  out.session_open_ms = p.session_open_ms;
  out.session_close_ms = p.session_close_ms;
  return out;
}

// Universe and news partitions do not carry their names the way a bar
// partition does (feed, sql_table): they come from the registry's entries.
Partition to_partition(const ContractsPartition& p) {
  const CompanionDataset& universe = *default_feed_registry().first_of(DatasetKind::option_bars).companion;
  Partition out;
  out.dataset = &options_contracts_dataset();
  out.name = universe.name;
  out.table = universe.sql_table;
  out.date = p.date;
  out.universe = &p.universe;
  return out;
}

Partition to_partition(const NewsPartition& p) {
  const FeedSpec& news = default_feed_registry().first_of(DatasetKind::news);
  Partition out;
  out.dataset = &news_dataset();
  out.name = news.name;
  out.table = news.sql_table;
  out.date = p.date;
  out.articles = p.articles;
  out.sentiment_tickers = p.sentiment_tickers;
  return out;
}

}  // namespace soi
