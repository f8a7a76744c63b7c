#include "data_sources/subscription_plan.hpp"

#include <algorithm>

#include <gtest/gtest.h>

#include "utils/error.hpp"

namespace soi {
namespace {

std::vector<std::string> option_topics(int n) {
  std::vector<std::string> t;
  for (int i = 0; i < n; ++i) t.push_back("A.O:SPY250117C00" + std::to_string(500000 + i * 1000));
  return t;
}

TEST(SubscriptionPlanTest, HostsPerProviderFeedAndMarket) {
  EXPECT_EQ(ws_url(WsProvider::massive, WsFeed::realtime, WsMarket::stocks), "wss://socket.massive.com/stocks");
  EXPECT_EQ(ws_url(WsProvider::massive, WsFeed::delayed, WsMarket::options), "wss://delayed.massive.com/options");
  EXPECT_EQ(ws_url(WsProvider::polygon, WsFeed::realtime, WsMarket::indices), "wss://socket.polygon.io/indices");
  EXPECT_EQ(ws_url(WsProvider::polygon, WsFeed::delayed, WsMarket::stocks), "wss://delayed.polygon.io/stocks");
  auto urls = WsMarketUrls::for_feed(WsProvider::polygon, WsFeed::delayed);
  EXPECT_EQ(urls.of(WsMarket::options), "wss://delayed.polygon.io/options");
  EXPECT_EQ(WsMarketUrls{}.of(WsMarket::indices), "wss://socket.massive.com/indices");
  EXPECT_EQ(ws_market_from("/options"), WsMarket::options);
  EXPECT_EQ(ws_market_from("indices"), WsMarket::indices);
  EXPECT_EQ(ws_market_from("/crypto"), std::nullopt);
  EXPECT_EQ(ws_topic("A", "I:VIX"), "A.I:VIX");
}

TEST(SubscriptionPlanTest, DefaultPlanIsSpyAndVix) {
  WsPlanRequest req;
  auto plans = plan_ws_connections(req);
  ASSERT_EQ(plans.size(), 2u);
  EXPECT_EQ(plans[0].market, WsMarket::stocks);
  EXPECT_EQ(plans[0].url, "wss://socket.massive.com/stocks");
  EXPECT_EQ(plans[0].topics, std::vector<std::string>{"A.SPY"});
  EXPECT_EQ(plans[1].market, WsMarket::indices);
  EXPECT_EQ(plans[1].url, "wss://socket.massive.com/indices");
  EXPECT_EQ(plans[1].topics, std::vector<std::string>{"A.I:VIX"});
}

TEST(SubscriptionPlanTest, OptionsShardedEvenlyInOrderWithoutDuplicates) {
  WsPlanRequest req;
  req.urls = WsMarketUrls::for_feed(WsProvider::massive, WsFeed::delayed);
  req.option_topics = option_topics(250);
  req.option_topics.push_back(req.option_topics[3]);  // duplicate
  auto plans = plan_ws_connections(req);
  ASSERT_EQ(plans.size(), 5u);
  std::vector<std::string> all;
  for (std::size_t i = 2; i < 5; ++i) {
    EXPECT_EQ(plans[i].market, WsMarket::options);
    EXPECT_EQ(plans[i].url, "wss://delayed.massive.com/options");
    EXPECT_EQ(plans[i].shard, i - 2);
    EXPECT_LE(plans[i].topics.size(), 100u);
    EXPECT_GE(plans[i].topics.size(), 83u);
    all.insert(all.end(), plans[i].topics.begin(), plans[i].topics.end());
  }
  EXPECT_EQ(all, option_topics(250));

  req.option_topics = option_topics(100);
  plans = plan_ws_connections(req);
  ASSERT_EQ(plans.size(), 3u);
  EXPECT_EQ(plans[2].topics.size(), 100u);

  req.max_per_connection = 1;
  req.option_topics = option_topics(3);
  req.stock_topics.clear();
  req.index_topics.clear();
  plans = plan_ws_connections(req);
  ASSERT_EQ(plans.size(), 3u);
  EXPECT_EQ(plans[2].topics, std::vector<std::string>{option_topics(3)[2]});
}

TEST(SubscriptionPlanTest, InvalidInputIsAConfigError) {
  WsPlanRequest req;
  req.option_topics = {"A.O:SPY, A.QQQ"};
  try {
    plan_ws_connections(req);
    FAIL();
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::config);
  }
  for (const char* bad : {"", "SPY", "A.", ".SPY", "A.SP\"Y", "A.SPY\n", "A.SP,Y"}) EXPECT_NE(ws_topic_problem(bad), nullptr) << bad;
  EXPECT_EQ(ws_topic_problem("A.*"), nullptr);
  EXPECT_EQ(ws_topic_problem("A.O:SPY250117C00590000"), nullptr);
  req.option_topics.clear();
  req.max_per_connection = 0;
  EXPECT_THROW(plan_ws_connections(req), SoiError);
}

TEST(SubscriptionPlanTest, MessagesRespectTopicAndByteLimits) {
  const std::vector<std::string> topics = {"A.SPY", "AM.SPY", "A.QQQ"};
  auto msgs = ws_action_messages("subscribe", topics, 2);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0], R"({"action":"subscribe","params":"A.SPY,AM.SPY"})");
  EXPECT_EQ(msgs[1], R"({"action":"subscribe","params":"A.QQQ"})");
  EXPECT_TRUE(ws_action_messages("subscribe", {}, 2).empty());

  // A byte limit that fits exactly one and a half topics.
  const std::size_t one = std::string(R"({"action":"unsubscribe","params":"A.SPY"})").size();
  msgs = ws_action_messages("unsubscribe", topics, 100, one + 3);
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[0], R"({"action":"unsubscribe","params":"A.SPY"})");
  for (const auto& m : msgs) EXPECT_LE(m.size(), one + 3);
  EXPECT_THROW(ws_action_messages("subscribe", topics, 10, 20), SoiError);

  // 50,000 option topics at the real limit: every message under 1 MB, nothing lost.
  auto many = option_topics(50000);
  msgs = ws_action_messages("subscribe", many, 100000);
  ASSERT_GE(msgs.size(), 2u);
  std::size_t commas = 0;
  for (const auto& m : msgs) {
    EXPECT_LE(m.size(), kWsMaxMessageBytes);
    commas += static_cast<std::size_t>(std::count(m.begin(), m.end(), ','));
  }
  EXPECT_EQ(commas, many.size());  // topics - 1 per message, plus the one after "action"
}

TEST(SubscriptionPlan, TopicSymbolAndUrlsUnderABase) {
  EXPECT_EQ(ws_topic_symbol("A.SPY"), "SPY");
  EXPECT_EQ(ws_topic_symbol("A.O:SPY250117C00590000"), "O:SPY250117C00590000");
  EXPECT_EQ(ws_topic_symbol(ws_topic("AM", "I:VIX")), "I:VIX");
  EXPECT_EQ(ws_topic_symbol("SPY"), "SPY");
  const WsMarketUrls urls = WsMarketUrls::under("ws://127.0.0.1:8080/");
  EXPECT_EQ(urls.stocks, "ws://127.0.0.1:8080/stocks");
  EXPECT_EQ(urls.of(WsMarket::options), "ws://127.0.0.1:8080/options");
  EXPECT_EQ(urls.indices, "ws://127.0.0.1:8080/indices");
}

}  // namespace
}  // namespace soi
