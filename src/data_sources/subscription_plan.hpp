// Which WebSocket connections to open and what each subscribes to. Pure
// functions: host URLs per provider/feed/market (contract §0, §8), topic
// names, sharding of a topic list over connections, and the subscribe
// messages (a bounded number of topics per message, under the 1 MB limit).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace soi {

enum class WsMarket : std::uint8_t { stocks, options, indices };
enum class WsProvider : std::uint8_t { massive, polygon };
enum class WsFeed : std::uint8_t { realtime, delayed };

std::string_view to_string(WsMarket market) noexcept;
std::string_view to_string(WsProvider provider) noexcept;
std::string_view to_string(WsFeed feed) noexcept;
std::optional<WsMarket> ws_market_from(std::string_view name) noexcept;  // "stocks", "/options", ...

// wss://socket.massive.com/stocks, wss://delayed.polygon.io/indices, ...
std::string ws_url(WsProvider provider, WsFeed feed, WsMarket market);

// "A.SPY", "AM.I:VIX", "A.O:SPY250117C00590000".
std::string ws_topic(std::string_view event, std::string_view symbol);
// The inverse: "A.SPY" -> "SPY" (the whole text when there is no '.').
std::string_view ws_topic_symbol(std::string_view topic) noexcept;

// The URL each market connects to (defaults: Massive real-time hosts).
struct WsMarketUrls {
  std::string stocks = ws_url(WsProvider::massive, WsFeed::realtime, WsMarket::stocks);
  std::string options = ws_url(WsProvider::massive, WsFeed::realtime, WsMarket::options);
  std::string indices = ws_url(WsProvider::massive, WsFeed::realtime, WsMarket::indices);

  static WsMarketUrls for_feed(WsProvider provider, WsFeed feed);
  // <base>/stocks, <base>/options, <base>/indices (e.g. ws://127.0.0.1:PORT, the simulator).
  static WsMarketUrls under(std::string_view base);
  const std::string& of(WsMarket market) const;
};

struct WsPlanRequest {
  std::vector<std::string> stock_topics = {"A.SPY"};
  std::vector<std::string> index_topics = {"A.I:VIX"};
  std::vector<std::string> option_topics;  // "A.O:SPY..." one per tracked contract
  WsMarketUrls urls;
  std::size_t max_per_connection = 100;  // topics per connection, every market
};

struct WsConnectionPlan {
  WsMarket market = WsMarket::stocks;
  std::string url;
  std::size_t shard = 0;  // 0-based index among the market's connections
  std::vector<std::string> topics;
};

// One connection per market with topics (stocks, indices, then options), a
// market's topics split into ceil(n / max_per_connection) connections of
// near-equal size, in input order, duplicates removed. Throws SoiError(config)
// on an invalid topic (empty, whitespace, ',', '"', '\\', control characters)
// or max_per_connection == 0.
// Note: accounts get one connection per market by default (contract §7); more
// than one options shard needs an account allowing that many connections.
std::vector<WsConnectionPlan> plan_ws_connections(const WsPlanRequest& request);

// {"action":"<action>","params":"t1,t2,..."} messages, each with at most
// max_topics topics and at most max_bytes bytes (the server's limit is 1 MB).
// Throws SoiError(config) on an invalid topic or a topic that cannot fit.
inline constexpr std::size_t kWsMaxMessageBytes = 1000 * 1000;
std::vector<std::string> ws_action_messages(std::string_view action, std::span<const std::string> topics,
                                            std::size_t max_topics, std::size_t max_bytes = kWsMaxMessageBytes);

// nullptr when the topic is usable, otherwise why not.
const char* ws_topic_problem(std::string_view topic) noexcept;

}  // namespace soi
