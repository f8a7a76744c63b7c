#include "simulator/news_generator.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

#include "simulator/sim_random.hpp"

namespace soi::sim {
namespace {

constexpr std::array<NewsPublisher, 6> kPublishers{{
    {"Benzinga", "https://www.benzinga.com/", "https://s3.massive.com/public/assets/news/logos/benzinga.svg",
     "https://s3.massive.com/public/assets/news/favicons/benzinga.ico"},
    {"The Motley Fool", "https://www.fool.com/", "https://s3.massive.com/public/assets/news/logos/themotleyfool.svg",
     "https://s3.massive.com/public/assets/news/favicons/themotleyfool.ico"},
    {"Zacks Investment Research", "https://www.zacks.com/",
     "https://s3.massive.com/public/assets/news/logos/zacks.png",
     "https://s3.massive.com/public/assets/news/favicons/zacks.ico"},
    {"MarketWatch", "https://www.marketwatch.com/", "https://s3.massive.com/public/assets/news/logos/marketwatch.svg",
     "https://s3.massive.com/public/assets/news/favicons/marketwatch.ico"},
    {"GlobeNewswire Inc.", "https://www.globenewswire.com/",
     "https://s3.massive.com/public/assets/news/logos/globenewswire.svg",
     "https://s3.massive.com/public/assets/news/favicons/globenewswire.ico"},
    {"Investing.com", "https://www.investing.com/", "https://s3.massive.com/public/assets/news/logos/investing.png",
     "https://s3.massive.com/public/assets/news/favicons/investing.ico"},
}};

constexpr std::array<const char*, 9> kOtherTickers{"QQQ", "AAPL", "MSFT", "NVDA", "AMZN", "IWM", "DIA", "TLT", "GLD"};
constexpr std::array<const char*, 8> kAuthors{"Staff Writer", "Jane Whitaker", "Rahul Mehta", "Carla Nguyen",
                                              "Tom Brennan", "Market Desk", "Sofia Alvarez", "Ken Osei"};

struct Theme {
  const char* phrase;    // fits "SPY climbs as <phrase>"
  const char* keyword;
};
constexpr std::array<Theme, 8> kThemes{{
    {"inflation data cools", "inflation"},
    {"Treasury yields swing", "bonds"},
    {"Fed officials weigh the next move", "federal reserve"},
    {"earnings season heats up", "earnings"},
    {"volatility jumps ahead of CPI", "volatility"},
    {"tech shares set the tone", "technology"},
    {"the jobs report surprises", "employment"},
    {"oil prices whipsaw", "commodities"},
}};

struct Tone {
  const char* sentiment;
  const char* verb;         // SPY <verb> as ...
  const char* description;  // one-line summary
  const char* reasoning;    // "{ticker} <reasoning>"
  const char* keyword;
};
constexpr Tone kPositive{"positive", "climbs", "Equities firmed as buyers returned across sectors.",
                         "gained alongside a broad risk-on move.", "rally"};
constexpr Tone kNeutral{"neutral", "is little changed", "Markets traded in a narrow range as investors waited.",
                        "traded flat with no clear catalyst.", "markets"};
constexpr Tone kNegative{"negative", "slips", "Equities softened while implied volatility rose.",
                         "fell as risk appetite faded.", "selloff"};

const Tone& tone_of(double score) {
  if (score > 0.5) return kPositive;
  if (score < -0.5) return kNegative;
  return kNeutral;
}

std::string hex_id(std::uint64_t h) {
  std::string id;
  for (int i = 0; i < 4; ++i) {
    h = splitmix64(h + static_cast<std::uint64_t>(i));
    id += fmt::format("{:016x}", h);
  }
  return id;
}

std::string slug(std::string_view text) {
  std::string out;
  for (char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out += c;
    } else if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

}  // namespace

NewsGenerator::NewsGenerator(std::uint64_t seed, SyntheticMarket& market) : seed_(seed), market_(market) {}

double NewsGenerator::market_move(Date d) const {
  double damp = 1.0;
  auto state = market_.daily("SPY", d);
  if (!state) {
    // Weekend and holiday articles discuss the last session, with less conviction.
    const auto prev = MarketCalendar().last_trading_days(d, 1);
    if (prev.empty()) return 0.0;
    state = market_.daily("SPY", prev.front());
    damp = 0.5;
  }
  if (!state || state->daily_vol <= 0) return 0.0;
  return damp * std::log(state->close / state->open) / state->daily_vol;
}

std::vector<NewsArticle> NewsGenerator::articles(Date d) const {
  Rng rng(hash_combine(hash_combine(seed_, day_number(d)), 0x6e657773));
  const SessionHours hours = MarketCalendar::builtin_session(d);
  const double move = market_move(d);
  auto state = market_.daily("SPY", d);
  const double pct = state ? 100.0 * (state->close / state->open - 1.0) : 0.0;

  const int count = rng.between(4, 12);
  std::vector<NewsArticle> out;
  out.reserve(static_cast<std::size_t>(count));
  for (int k = 0; k < count; ++k) {
    NewsArticle a;
    // Minute of the New York day: pre-market 20%, session 70%, evening 10%.
    int lo = 7 * 60, hi = 21 * 60;
    if (hours.is_trading_day) {
      const double where = rng.uniform();
      if (where < 0.2) {
        lo = 6 * 60, hi = hours.open_minute;
      } else if (where < 0.9) {
        lo = hours.open_minute, hi = hours.close_minute;
      } else {
        lo = hours.close_minute, hi = 20 * 60;
      }
    }
    const int minute = rng.between(lo, hi - 1);
    a.published_ms = ny_wall_to_utc_ms(d, minute) + rng.between(0, 59) * 1000;
    a.id = hex_id(rng.next());
    a.publisher = &kPublishers[static_cast<std::size_t>(rng.between(0, kPublishers.size() - 1))];
    a.author = kAuthors[static_cast<std::size_t>(rng.between(0, kAuthors.size() - 1))];

    const Theme& theme = kThemes[static_cast<std::size_t>(rng.between(0, kThemes.size() - 1))];
    const Tone& tone = tone_of(move + 0.8 * rng.normal());
    a.tickers.push_back("SPY");
    if (rng.uniform() < 0.45) {
      const int extra = rng.between(1, 2);
      for (int e = 0; e < extra; ++e) {
        std::string t = kOtherTickers[static_cast<std::size_t>(rng.between(0, kOtherTickers.size() - 1))];
        if (std::find(a.tickers.begin(), a.tickers.end(), t) == a.tickers.end()) a.tickers.push_back(std::move(t));
      }
    }
    a.title = rng.uniform() < 0.5 ? fmt::format("SPY {} as {}", tone.verb, theme.phrase)
                                  : fmt::format("S&P 500 ETF {} ({:+.2f}%) as {}", tone.verb, pct, theme.phrase);
    a.description = tone.description;
    a.keywords = {theme.keyword, tone.keyword};
    if (rng.uniform() < 0.3) a.keywords.emplace_back("S&P 500");
    for (const auto& t : a.tickers) {
      const Tone& own = t == "SPY" ? tone : tone_of(0.6 * move + rng.normal());
      a.insights.push_back(NewsInsight{t, own.sentiment, fmt::format("{} {}", t, own.reasoning)});
    }
    const std::string home = a.publisher->homepage_url;
    a.article_url = fmt::format("{}markets/{}-{}", home, slug(a.title), a.id.substr(0, 8));
    if (rng.uniform() < 0.5) a.amp_url = fmt::format("{}amp/markets/{}", home, a.id.substr(0, 12));
    a.image_url = fmt::format("{}images/news/{}.jpeg", home, a.id.substr(0, 16));
    out.push_back(std::move(a));
  }
  std::sort(out.begin(), out.end(), [](const NewsArticle& x, const NewsArticle& y) {
    return x.published_ms != y.published_ms ? x.published_ms < y.published_ms : x.id < y.id;
  });
  return out;
}

}  // namespace soi::sim
