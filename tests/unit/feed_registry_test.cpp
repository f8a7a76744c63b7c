#include "config/feed_registry.hpp"

#include <functional>
#include <set>

#include <gtest/gtest.h>

#include "utils/error.hpp"

namespace soi {
namespace {

std::vector<std::string> names_of(const std::vector<const FeedSpec*>& feeds) {
  std::vector<std::string> out;
  for (const FeedSpec* f : feeds) out.push_back(f->name);
  return out;
}

// A bar feed as a test would add one (e.g. QQQ on the stocks socket).
FeedSpec extra_bar_feed(std::string name, std::string table) {
  FeedSpec f;
  f.name = std::move(name);
  f.sql_table = std::move(table);
  f.rest_tickers = [](const Config&) { return std::vector<std::string>{"QQQ"}; };
  f.rest_base_url = [](const Config& c) { return c.sources.rest_base_url; };
  f.page_limit = [](const Config&) { return 50000; };
  f.enabled = [](const Config&) { return true; };
  f.ws_market = "stocks";
  f.ws_topic_prefix = "A";
  return f;
}

void expect_config_error(const std::function<void()>& f, const std::string& needle) {
  try {
    f();
    FAIL() << "expected SoiError(config) mentioning " << needle;
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::config);
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(FeedRegistryTest, DefaultFeedsAreTodaysFourWithUniqueNamesAndTables) {
  const FeedRegistry feeds = default_feeds();
  ASSERT_EQ(feeds.size(), 4u);
  std::set<std::string> names, tables;
  for (const FeedSpec& f : feeds.feeds()) {
    EXPECT_TRUE(names.insert(f.name).second) << f.name;
    EXPECT_TRUE(tables.insert(f.sql_table).second) << f.sql_table;
    if (f.companion) {
      EXPECT_TRUE(tables.insert(f.companion->sql_table).second) << f.companion->sql_table;
    }
  }
  EXPECT_EQ(tables, (std::set<std::string>{"spy_bars", "vix_bars", "option_bars", "option_contracts", "news"}));
  EXPECT_EQ(feeds.at("spy").dataset, DatasetKind::bars);
  EXPECT_EQ(feeds.at("vix").shape, ResponseShape::index_aggs);
  EXPECT_EQ(feeds.at("options").dataset, DatasetKind::option_bars);
  ASSERT_TRUE(feeds.at("options").companion);
  EXPECT_EQ(feeds.at("options").companion->name, "options_contracts");
  EXPECT_EQ(feeds.at("options").companion->dataset, DatasetKind::options_contracts);
  EXPECT_EQ(feeds.at("news").dataset, DatasetKind::news);
  EXPECT_FALSE(feeds.at("news").streamed());
  EXPECT_EQ(feeds.at("vix").ws_market, "indices");
  EXPECT_EQ(feeds.source_choices(), "spy, vix, options, news, all");
}

// The position is the feed id in the stream's write-ahead log: logs written
// before the registry existed used spy=0, vix=1, options=2.
TEST(FeedRegistryTest, PositionsAreTheStreamLogIdsOfEarlierVersions) {
  const FeedRegistry feeds = default_feeds();
  EXPECT_EQ(feeds.index_of("spy"), 0u);
  EXPECT_EQ(feeds.index_of("vix"), 1u);
  EXPECT_EQ(feeds.index_of("options"), 2u);
  EXPECT_EQ(feeds.index_of("news"), 3u);
  EXPECT_FALSE(feeds.index_of("crypto"));
}

TEST(FeedRegistryTest, DependsOnResolvesToAnEarlierFeed) {
  const FeedRegistry feeds = default_feeds();
  const FeedSpec& options = feeds.at("options");
  ASSERT_EQ(options.depends_on, std::vector<std::string>{"spy"});
  for (const FeedSpec& f : feeds.feeds())
    for (const std::string& d : f.depends_on) {
      ASSERT_TRUE(feeds.index_of(d)) << f.name << " depends on unknown " << d;
      EXPECT_LT(*feeds.index_of(d), *feeds.index_of(f.name)) << f.name << " runs before " << d;
    }
  // Selected together, options run after SPY.
  Config config;
  EXPECT_EQ(names_of(feeds.selected(feeds.parse_sources("options,spy"), config)),
            (std::vector<std::string>{"spy", "options"}));
}

TEST(FeedRegistryTest, RefusesBrokenTables) {
  std::vector<FeedSpec> base = default_feeds().feeds();
  auto with = [&](FeedSpec extra) {
    auto v = base;
    v.push_back(std::move(extra));
    return v;
  };
  expect_config_error([&] { FeedRegistry r(with(extra_bar_feed("spy", "qqq_bars"))); }, "listed twice");
  expect_config_error([&] { FeedRegistry r(with(extra_bar_feed("qqq", "spy_bars"))); }, "spy_bars");
  expect_config_error([&] { FeedRegistry r(with(extra_bar_feed("qqq", "option_contracts"))); }, "option_contracts");
  expect_config_error([&] { FeedRegistry r(with(extra_bar_feed("all", "all_bars"))); }, "invalid feed name");
  FeedSpec orphan = extra_bar_feed("qqq", "qqq_bars");
  orphan.depends_on = {"qqq_options"};  // unknown (and it would come later)
  expect_config_error([&] { FeedRegistry r(with(orphan)); }, "qqq_options");
  FeedSpec no_enabled = extra_bar_feed("qqq", "qqq_bars");
  no_enabled.enabled = nullptr;
  expect_config_error([&] { FeedRegistry r(with(no_enabled)); }, "qqq");
  // A dependency listed after its dependent is refused: the order is the run order.
  std::vector<FeedSpec> reversed = {base[2], base[0]};
  expect_config_error([&] { FeedRegistry r(reversed); }, "must be a feed listed before it");
}

TEST(FeedRegistryTest, FirstOfADatasetAndTheDefaultRegistryBuiltOnce) {
  const FeedRegistry& feeds = default_feed_registry();
  EXPECT_EQ(&feeds, &default_feed_registry());
  EXPECT_EQ(feeds.first_of(DatasetKind::bars).name, "spy");
  EXPECT_EQ(feeds.first_of(DatasetKind::option_bars).name, "options");
  EXPECT_EQ(feeds.first_of(DatasetKind::news).name, "news");
  // The universe is a companion, never a feed's own dataset.
  expect_config_error([&] { (void)feeds.first_of(DatasetKind::options_contracts); }, "options_contracts");
}

TEST(FeedRegistryTest, ATestCanAddAFeed) {
  std::vector<FeedSpec> v = default_feeds().feeds();
  v.push_back(extra_bar_feed("qqq", "qqq_bars"));
  const FeedRegistry feeds(std::move(v));
  EXPECT_EQ(feeds.index_of("qqq"), 4u);
  EXPECT_EQ(feeds.source_choices(), "spy, vix, options, news, qqq, all");
  Config config;
  EXPECT_EQ(names_of(feeds.selected(feeds.parse_sources("qqq"), config)), std::vector<std::string>{"qqq"});
}

TEST(FeedRegistryTest, EnabledFollowsTheConfiguration) {
  const FeedRegistry feeds = default_feeds();
  Config config;
  for (const FeedSpec& f : feeds.feeds()) EXPECT_TRUE(f.enabled(config)) << f.name;
  config.sources.vix.enabled = false;
  config.sources.news.enabled = false;
  EXPECT_FALSE(feeds.at("vix").enabled(config));
  EXPECT_FALSE(feeds.at("news").enabled(config));
  EXPECT_TRUE(feeds.at("spy").enabled(config));
  EXPECT_EQ(names_of(feeds.selected(feeds.parse_sources("all"), config)),
            (std::vector<std::string>{"spy", "options"}));
  // A feed named on the command line runs even when disabled.
  EXPECT_EQ(names_of(feeds.selected(feeds.parse_sources("vix"), config)), std::vector<std::string>{"vix"});
}

TEST(FeedRegistryTest, ConfigDrivesTickersUrlsAndLimits) {
  const FeedRegistry feeds = default_feeds();
  Config config;
  config.sources.rest_base_url = "http://127.0.0.1:1";
  config.sources.vix.base_url = "http://127.0.0.1:2";
  config.sources.vix.ticker = "I:VIX1D";
  config.sources.spy.page_limit = 123;
  config.sources.news.tickers = {"SPY", "QQQ"};
  EXPECT_EQ(feeds.at("spy").rest_base_url(config), "http://127.0.0.1:1");
  EXPECT_EQ(feeds.at("vix").rest_base_url(config), "http://127.0.0.1:2");
  EXPECT_EQ(feeds.at("vix").rest_tickers(config), std::vector<std::string>{"I:VIX1D"});
  EXPECT_EQ(feeds.at("spy").page_limit(config), 123);
  EXPECT_EQ(feeds.at("news").rest_tickers(config), (std::vector<std::string>{"SPY", "QQQ"}));
}

TEST(FeedRegistryTest, StreamingNeedsAFeedAnEnabledFeedDependsOn) {
  const FeedRegistry feeds = default_feeds();
  Config config;
  config.sources.spy.enabled = false;
  EXPECT_TRUE(feeds.needed(feeds.at("spy"), config)) << "options need SPY's open";
  config.sources.options.enabled = false;
  EXPECT_FALSE(feeds.needed(feeds.at("spy"), config));
  EXPECT_TRUE(feeds.needed(feeds.at("vix"), config));
}

// ---- --source ----

TEST(SourceParsingTest, CommaListIsRegistryOrderedAndDeduplicated) {
  const FeedRegistry feeds = default_feeds();
  SourceSelection s = feeds.parse_sources("vix,spy");
  EXPECT_FALSE(s.all_enabled);
  EXPECT_EQ(s.names, (std::vector<std::string>{"spy", "vix"}));
  s = feeds.parse_sources(" news , spy,news,spy ");
  EXPECT_EQ(s.names, (std::vector<std::string>{"spy", "news"}));
  s = feeds.parse_sources("options");
  EXPECT_EQ(s.names, std::vector<std::string>{"options"});
}

TEST(SourceParsingTest, AllSelectsEveryEnabledFeed) {
  const FeedRegistry feeds = default_feeds();
  Config config;
  SourceSelection s = feeds.parse_sources("all");
  EXPECT_TRUE(s.all_enabled);
  EXPECT_TRUE(s.names.empty());
  EXPECT_EQ(names_of(feeds.selected(s, config)), (std::vector<std::string>{"spy", "vix", "options", "news"}));
  config.sources.spy.enabled = false;
  // all plus a disabled feed named explicitly: both.
  s = feeds.parse_sources("all,spy");
  EXPECT_EQ(names_of(feeds.selected(s, config)), (std::vector<std::string>{"spy", "vix", "options", "news"}));
  EXPECT_TRUE(feeds.may_select(feeds.parse_sources("all"), DatasetKind::option_bars));
  EXPECT_TRUE(feeds.may_select(feeds.parse_sources("spy,options"), DatasetKind::option_bars));
  EXPECT_FALSE(feeds.may_select(feeds.parse_sources("spy,vix"), DatasetKind::option_bars));
}

TEST(SourceParsingTest, UnknownOrEmptyNameIsAUsageErrorNamingTheChoices) {
  const FeedRegistry feeds = default_feeds();
  for (const char* bad : {"crypto", "spy,crypto", "SPY", "", "spy,", ",vix", "spy,,vix", "options_contracts"}) {
    try {
      feeds.parse_sources(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const SoiError& e) {
      EXPECT_EQ(e.category(), ErrorCategory::config) << bad;  // config: exit code 2
      EXPECT_NE(std::string(e.what()).find("spy, vix, options, news, all"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace soi
