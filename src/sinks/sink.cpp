#include "sinks/sink.hpp"

#include "utils/error.hpp"

namespace soi {

Partition to_partition(const BarPartition& p) {
  Partition out;
  // The options feed carries each contract's terms beside its bars.
  const bool options = p.feed == "options";
  out.dataset = options ? &option_bars_dataset() : &bars_dataset();
  out.name = p.feed;
  if (p.feed == "spy") out.table = "spy_bars";
  else if (p.feed == "vix") out.table = "vix_bars";
  else if (options) out.table = "option_bars";
  out.date = p.date;
  out.bars = p.tickers;
  out.session_open_ms = p.session_open_ms;
  out.session_close_ms = p.session_close_ms;
  return out;
}

Partition to_partition(const ContractsPartition& p) {
  Partition out;
  out.dataset = &options_contracts_dataset();
  out.name = "options_contracts";
  out.table = "option_contracts";
  out.date = p.date;
  out.universe = &p.universe;
  return out;
}

Partition to_partition(const NewsPartition& p) {
  Partition out;
  out.dataset = &news_dataset();
  out.name = "news";
  out.table = "news";
  out.date = p.date;
  out.articles = p.articles;
  out.sentiment_tickers = p.sentiment_tickers;
  return out;
}

}  // namespace soi
