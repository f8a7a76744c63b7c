// One small trading day for the SQL sink tests (DuckDB and PostgreSQL check the
// same facts): a 3-minute session, SPY/VIX/option bars, contracts and news.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "processing/records.hpp"
#include "sinks/sink.hpp"
#include "utils/time_util.hpp"

namespace soi::test {

struct ConsolidatedDay {
  Date date = *parse_date("2025-01-17");
  std::int64_t open_ms = 1737124200000;  // 2025-01-17 09:30 New York = 14:30Z
  std::int64_t close_ms = open_ms + 180'000;  // a 3-minute session: 180 seconds
  std::vector<BarDay> spy, vix, options;
  OptionsUniverse universe;
  std::vector<NewsArticle> news;
  std::vector<std::string> news_tickers = {"SPY", "QQQ"};

  std::int64_t at(int second) const { return open_ms + second * 1000LL; }

  static Bar bar(std::int64_t ts, double close, double volume, std::uint8_t fields = kBarFullFields) {
    Bar b;
    b.ts_ms = ts;
    b.open = close - 0.5;
    b.high = close + 1;
    b.low = close - 1;
    b.close = close;
    b.volume = volume;
    b.vwap = close - 0.25;
    b.transactions = static_cast<std::int64_t>(volume / 10);
    b.fields = fields;
    return b;
  }

  static OptionContract contract(std::string ticker, ContractType type, double strike) {
    OptionContract c;
    c.ticker = std::move(ticker);
    c.underlying = "SPY";
    c.type = type;
    c.strike = strike;
    c.expiration = *parse_date("2025-01-17");
    c.exercise_style = "american";
    return c;
  }

  static NewsArticle article(std::string id, std::int64_t published, std::vector<NewsInsight> insights) {
    NewsArticle a;
    a.id = std::move(id);
    a.published_ms = published;
    a.title = "Title of " + a.id + " with a\ttab, a \"quote\", a back\\slash and 'apostrophe'";
    a.description = "line one\nline two";
    a.author = a.id == "n3" ? "" : "Reporter";
    a.article_url = "https://example.com/" + a.id;
    a.publisher = "Example News";
    a.tickers = {"SPY", "Q\"Q{Q}"};
    a.keywords = {"markets", "back\\slash, comma"};
    a.insights = std::move(insights);
    return a;
  }

  ConsolidatedDay() {
    BarDay s;
    s.feed = "spy";
    s.ticker = "SPY";
    s.date = date;
    s.bars = {bar(at(0), 590, 1000), bar(at(1), 591, 1100), bar(at(5), 592.125, 1200),
              bar(at(61), 593, 1300, kBarHasVolume | kBarHasVwap)};
    spy.push_back(s);

    BarDay v;
    v.feed = "vix";
    v.ticker = "I:VIX";
    v.date = date;
    v.bars = {bar(open_ms - 2000, 15.5, 0, 0), bar(at(3), 16.5, 0, 0), bar(at(100), 17.0, 0, 0)};
    vix.push_back(v);

    universe.date = date;
    universe.underlying = "SPY";
    universe.open = 590;
    universe.open_source = OpenSource::open_close;
    universe.band_pct = 1.0;
    universe.strike_low = 584.1;
    universe.strike_high = 595.9;
    universe.contracts = {contract("O:SPY250117C00590000", ContractType::call, 590),
                          contract("O:SPY250117C00591000", ContractType::call, 591),
                          contract("O:SPY250117P00589000", ContractType::put, 589)};
    universe.contracts[2].exercise_style = "";
    // Second 5: both calls (10 + 20) and the put (7); second 6: the put alone (3).
    const std::vector<std::vector<Bar>> option_bars = {
        {bar(at(5), 1.5, 10)}, {bar(at(5), 1.1, 20)}, {bar(at(5), 2.0, 7), bar(at(6), 2.1, 3)}};
    for (std::size_t i = 0; i < universe.contracts.size(); ++i) {
      BarDay o;
      o.feed = "options";
      o.ticker = universe.contracts[i].ticker;
      o.date = date;
      o.bars = option_bars[i];
      o.contract = universe.contracts[i];
      options.push_back(o);
    }

    // Minute 0: positive + one without an SPY insight (count 2, mean 1).
    // Minute 1: positive, negative, neutral (count 3, mean 0). Minute 2: none.
    news = {article("n1", at(10), {{"SPY", "positive", "up"}, {"QQQ", "negative", "down"}}),
            article("n2", at(50), {{"QQQ", "neutral", "flat"}}),
            article("n3", at(61), {{"spy", "positive", "case-insensitive ticker"}}),
            article("n4", at(90), {{"SPY", "negative", "down"}}),
            article("n5", at(119), {{"SPY", "neutral", "flat"}})};
  }

  BarPartition spy_partition() const { return {"spy", date, spy, open_ms, close_ms, "spy_bars"}; }
  BarPartition vix_partition() const { return {"vix", date, vix, open_ms, close_ms, "vix_bars"}; }
  BarPartition options_partition() const {
    return {"options", date, options, open_ms, close_ms, "option_bars", &option_bars_dataset()};
  }
  ContractsPartition contracts_partition() const { return {date, universe}; }
  NewsPartition news_partition() const { return {date, news, news_tickers}; }

  // Writes every partition of the day to `sink`.
  void write_to(Sink& sink, const RunInfo& run) const {
    sink.write(spy_partition(), run);
    sink.write(vix_partition(), run);
    sink.write(options_partition(), run);
    sink.write(contracts_partition(), run);
    sink.write(news_partition(), run);
  }
};

}  // namespace soi::test
