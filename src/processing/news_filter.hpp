// News processing between the parser and the sink: the relevance filter from
// config (sources.news.relevance_*), de-duplication on the article id (the
// same article arrives once per configured ticker it is tagged with; the later
// arrival wins, as for bars) and grouping by the New York calendar date of
// publication, the partition key of data/raw/news.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "processing/records.hpp"
#include "utils/time_util.hpp"

namespace soi {

// An article is kept when it is tagged with one of `tickers` OR its title,
// description or one of its keywords contains one of `keywords` (both
// case-insensitive, keywords as substrings). Both lists empty: keep every article.
class NewsRelevanceFilter {
 public:
  NewsRelevanceFilter() = default;
  NewsRelevanceFilter(const std::vector<std::string>& tickers, const std::vector<std::string>& keywords);
  explicit NewsRelevanceFilter(const NewsSourceConfig& config)
      : NewsRelevanceFilter(config.relevance_tickers, config.relevance_keywords) {}

  bool keeps_all() const { return tickers_.empty() && keywords_.empty(); }
  bool keeps(const NewsArticle& article) const;

 private:
  std::vector<std::string> tickers_;   // lower-case
  std::vector<std::string> keywords_;  // lower-case, non-empty
};

// In-place: keeps the last occurrence of every id and sorts by (published_ms, id).
// Returns how many earlier duplicates were dropped.
std::size_t dedup_articles_keep_last(std::vector<NewsArticle>& articles);

// The articles of one New York calendar date, de-duplicated, by (published_ms, id).
struct NewsDay {
  Date date;
  std::vector<NewsArticle> articles;
  std::uint64_t duplicates = 0;  // copies replaced by a later arrival of the same id
  std::uint64_t irrelevant = 0;  // dropped by the relevance filter
};

// Collects the articles of the New York dates [first, last] as they arrive:
// irrelevant ones are counted and dropped, articles published on other dates
// are counted and dropped, and a repeated id replaces the earlier copy (even
// when the correction moved it to another date). Holds at most the range's
// relevant articles.
class NewsDayCollector {
 public:
  NewsDayCollector(Date first, Date last, NewsRelevanceFilter filter = {});

  // Returns false when the article was dropped (irrelevant or outside the dates).
  bool add(NewsArticle article);

  Date first() const { return first_; }
  Date last() const { return last_; }
  std::size_t day_count() const { return counts_.size(); }
  std::uint64_t outside() const { return outside_; }
  std::size_t size() const { return index_.size(); }

  // Removes and returns the articles of date d (first <= d <= last), which is
  // then closed: later arrivals for it count as outside(). Call once per date.
  NewsDay take(Date d);

 private:
  struct Counts {
    std::uint64_t duplicates = 0;
    std::uint64_t irrelevant = 0;
    bool taken = false;
  };
  int offset(Date d) const;  // days since first_, -1 when outside

  Date first_, last_;
  NewsRelevanceFilter filter_;
  std::vector<Counts> counts_;                              // one per date
  std::vector<std::vector<NewsArticle>> days_;              // one per date
  std::unordered_map<std::string, int> index_;              // id -> date offset holding it
  std::uint64_t outside_ = 0;
};

}  // namespace soi
