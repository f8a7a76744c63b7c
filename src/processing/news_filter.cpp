#include "processing/news_filter.hpp"

#include <algorithm>
#include <cctype>

#include "utils/ascii.hpp"

namespace soi {
namespace {

// Case-insensitive (ASCII) substring search; `needle` is lower-case.
bool contains_lower(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  const auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(), [](char h, char n) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(h))) == n;
  });
  return it != haystack.end();
}

bool by_time_then_id(const NewsArticle& a, const NewsArticle& b) {
  return a.published_ms != b.published_ms ? a.published_ms < b.published_ms : a.id < b.id;
}

}  // namespace

NewsRelevanceFilter::NewsRelevanceFilter(const std::vector<std::string>& tickers,
                                         const std::vector<std::string>& keywords) {
  for (const auto& t : tickers)
    if (!t.empty()) tickers_.push_back(ascii_lower(t));
  for (const auto& k : keywords)
    if (!k.empty()) keywords_.push_back(ascii_lower(k));
}

bool NewsRelevanceFilter::keeps(const NewsArticle& a) const {
  if (keeps_all()) return true;
  for (const auto& tagged : a.tickers) {
    const std::string t = ascii_lower(tagged);
    if (std::find(tickers_.begin(), tickers_.end(), t) != tickers_.end()) return true;
  }
  for (const auto& k : keywords_) {
    if (contains_lower(a.title, k) || contains_lower(a.description, k)) return true;
    for (const auto& kw : a.keywords)
      if (contains_lower(kw, k)) return true;
  }
  return false;
}

std::size_t dedup_articles_keep_last(std::vector<NewsArticle>& articles) {
  std::unordered_map<std::string, std::size_t> index;
  index.reserve(articles.size());
  std::vector<NewsArticle> out;
  out.reserve(articles.size());
  std::size_t duplicates = 0;
  for (auto& a : articles) {
    auto [it, inserted] = index.try_emplace(a.id, out.size());
    if (inserted) {
      out.push_back(std::move(a));
    } else {
      out[it->second] = std::move(a);
      ++duplicates;
    }
  }
  std::sort(out.begin(), out.end(), by_time_then_id);
  articles = std::move(out);
  return duplicates;
}

NewsDayCollector::NewsDayCollector(Date first, Date last, NewsRelevanceFilter filter)
    : first_(first), last_(last), filter_(std::move(filter)) {
  const auto n = (to_sys(last) - to_sys(first)).count() + 1;
  counts_.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  days_.resize(counts_.size());
}

int NewsDayCollector::offset(Date d) const {
  if (to_sys(d) < to_sys(first_) || to_sys(last_) < to_sys(d)) return -1;
  return static_cast<int>((to_sys(d) - to_sys(first_)).count());
}

bool NewsDayCollector::add(NewsArticle article) {
  const int day = offset(ny_date_of_utc_ms(article.published_ms));
  if (day < 0 || counts_[static_cast<std::size_t>(day)].taken) {
    ++outside_;
    return false;
  }
  Counts& counts = counts_[static_cast<std::size_t>(day)];
  if (!filter_.keeps(article)) {
    ++counts.irrelevant;
    return false;
  }
  auto& articles = days_[static_cast<std::size_t>(day)];
  auto [it, inserted] = index_.try_emplace(article.id, day);
  if (!inserted) {
    ++counts.duplicates;
    const int held = it->second;
    if (held == day) {
      // Same date (the usual case): replace the earlier copy in place.
      for (auto& a : articles) {
        if (a.id == article.id) {
          a = std::move(article);
          return true;
        }
      }
    } else if (!counts_[static_cast<std::size_t>(held)].taken) {
      // A correction moved the article to another date: drop the earlier copy.
      auto& old = days_[static_cast<std::size_t>(held)];
      old.erase(std::remove_if(old.begin(), old.end(), [&](const NewsArticle& a) { return a.id == article.id; }),
                old.end());
    }
    it->second = day;
  }
  articles.push_back(std::move(article));
  return true;
}

NewsDay NewsDayCollector::take(Date d) {
  NewsDay out;
  out.date = d;
  const int day = offset(d);
  if (day < 0) return out;
  Counts& counts = counts_[static_cast<std::size_t>(day)];
  out.duplicates = counts.duplicates;
  out.irrelevant = counts.irrelevant;
  if (counts.taken) return out;
  counts.taken = true;
  out.articles = std::move(days_[static_cast<std::size_t>(day)]);
  days_[static_cast<std::size_t>(day)] = {};
  for (const auto& a : out.articles) index_.erase(a.id);
  std::sort(out.articles.begin(), out.articles.end(), by_time_then_id);
  return out;
}

}  // namespace soi
