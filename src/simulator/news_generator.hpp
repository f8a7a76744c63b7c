// Deterministic synthetic news: 4-12 articles per New York calendar day, a few
// before the open and most during the session, with per-ticker sentiment that
// leans with that day's synthetic SPY move (so sentiment studies find a signal).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "simulator/synthetic_market.hpp"
#include "utils/market_calendar.hpp"

namespace soi::sim {

struct NewsPublisher {
  const char* name;
  const char* homepage_url;
  const char* logo_url;
  const char* favicon_url;
};

struct NewsInsight {
  std::string ticker;
  std::string sentiment;  // positive | neutral | negative
  std::string sentiment_reasoning;
};

struct NewsArticle {
  std::string id;  // 64 hex characters
  std::int64_t published_ms = 0;
  const NewsPublisher* publisher = nullptr;
  std::string title;
  std::string author;
  std::string article_url;
  std::string amp_url;  // empty: field absent (it is optional on the wire)
  std::string image_url;
  std::string description;
  std::vector<std::string> tickers;
  std::vector<std::string> keywords;
  std::vector<NewsInsight> insights;
};

class NewsGenerator {
 public:
  NewsGenerator(std::uint64_t seed, SyntheticMarket& market);

  // Articles published on New York date `d`, sorted by (published_ms, id).
  std::vector<NewsArticle> articles(Date d) const;

 private:
  // The day's SPY move in standard deviations (weekends echo the last session, damped).
  double market_move(Date d) const;

  std::uint64_t seed_;
  SyntheticMarket& market_;
};

}  // namespace soi::sim
