#include "sinks/sink.hpp"

#include "utils/error.hpp"

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
