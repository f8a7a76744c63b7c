#include "data_sources/subscription_plan.hpp"

#include <algorithm>
#include <unordered_set>

#include "utils/error.hpp"

namespace soi {
namespace {

constexpr std::string_view kHeader = R"({"action":")";
constexpr std::string_view kMiddle = R"(","params":")";
constexpr std::string_view kTrailer = R"("})";

void check_topic(std::string_view topic) {
  if (const char* problem = ws_topic_problem(topic))
    throw SoiError(ErrorCategory::config, "WebSocket topic \"" + std::string(topic) + "\" is invalid: " + problem);
}

}  // namespace

std::string_view to_string(WsMarket market) noexcept {
  switch (market) {
    case WsMarket::stocks: return "stocks";
    case WsMarket::options: return "options";
    case WsMarket::indices: return "indices";
  }
  return "?";
}

std::string_view to_string(WsProvider provider) noexcept {
  return provider == WsProvider::massive ? "massive" : "polygon";
}

std::string_view to_string(WsFeed feed) noexcept { return feed == WsFeed::realtime ? "realtime" : "delayed"; }

std::optional<WsMarket> ws_market_from(std::string_view name) noexcept {
  while (!name.empty() && name.front() == '/') name.remove_prefix(1);
  while (!name.empty() && name.back() == '/') name.remove_suffix(1);
  for (auto m : {WsMarket::stocks, WsMarket::options, WsMarket::indices})
    if (to_string(m) == name) return m;
  return std::nullopt;
}

std::string ws_url(WsProvider provider, WsFeed feed, WsMarket market) {
  std::string url = "wss://";
  url += feed == WsFeed::realtime ? "socket." : "delayed.";
  url += provider == WsProvider::massive ? "massive.com/" : "polygon.io/";
  url += to_string(market);
  return url;
}

std::string ws_topic(std::string_view event, std::string_view symbol) {
  std::string topic;
  topic.reserve(event.size() + 1 + symbol.size());
  topic.append(event).append(".").append(symbol);
  return topic;
}

WsMarketUrls WsMarketUrls::for_feed(WsProvider provider, WsFeed feed) {
  WsMarketUrls urls;
  urls.stocks = ws_url(provider, feed, WsMarket::stocks);
  urls.options = ws_url(provider, feed, WsMarket::options);
  urls.indices = ws_url(provider, feed, WsMarket::indices);
  return urls;
}

const std::string& WsMarketUrls::of(WsMarket market) const {
  switch (market) {
    case WsMarket::stocks: return stocks;
    case WsMarket::options: return options;
    case WsMarket::indices: return indices;
  }
  return stocks;
}

const char* ws_topic_problem(std::string_view topic) noexcept {
  if (topic.empty()) return "empty";
  for (unsigned char c : topic) {
    if (c <= 0x20 || c == 0x7f) return "contains whitespace or a control character";
    if (c == ',') return "contains ','";
    if (c == '"' || c == '\\') return "contains a quote or backslash";
  }
  auto dot = topic.find('.');
  if (dot == 0 || dot == std::string_view::npos || dot + 1 == topic.size()) return "not of the form EV.SYMBOL";
  return nullptr;
}

std::string_view ws_topic_symbol(std::string_view topic) noexcept {
  const auto dot = topic.find('.');
  return dot == std::string_view::npos ? topic : topic.substr(dot + 1);
}

WsMarketUrls WsMarketUrls::under(std::string_view base) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  WsMarketUrls urls;
  urls.stocks = std::string(base) + "/stocks";
  urls.options = std::string(base) + "/options";
  urls.indices = std::string(base) + "/indices";
  return urls;
}

std::vector<WsConnectionPlan> plan_ws_connections(const WsPlanRequest& request) {
  if (request.max_per_connection == 0)
    throw SoiError(ErrorCategory::config, "WebSocket plan: max topics per connection must be at least 1");
  std::vector<WsConnectionPlan> plans;
  auto add_market = [&](WsMarket market, const std::vector<std::string>& topics) {
    std::vector<std::string> unique;
    unique.reserve(topics.size());
    std::unordered_set<std::string_view> seen;
    for (const auto& t : topics) {
      check_topic(t);
      if (seen.insert(t).second) unique.push_back(t);
    }
    if (unique.empty()) return;
    const std::size_t n = unique.size();
    const std::size_t shards = (n + request.max_per_connection - 1) / request.max_per_connection;
    const std::size_t base = n / shards, extra = n % shards;
    std::size_t pos = 0;
    for (std::size_t i = 0; i < shards; ++i) {
      const std::size_t size = base + (i < extra ? 1 : 0);
      WsConnectionPlan plan{market, request.urls.of(market), i, {}};
      plan.topics.assign(std::make_move_iterator(unique.begin() + static_cast<std::ptrdiff_t>(pos)),
                         std::make_move_iterator(unique.begin() + static_cast<std::ptrdiff_t>(pos + size)));
      pos += size;
      plans.push_back(std::move(plan));
    }
  };
  add_market(WsMarket::stocks, request.stock_topics);
  add_market(WsMarket::indices, request.index_topics);
  add_market(WsMarket::options, request.option_topics);
  return plans;
}

std::vector<std::string> ws_action_messages(std::string_view action, std::span<const std::string> topics,
                                            std::size_t max_topics, std::size_t max_bytes) {
  if (max_topics == 0) throw SoiError(ErrorCategory::config, "WebSocket messages: max topics per message is 0");
  const std::size_t overhead = kHeader.size() + action.size() + kMiddle.size() + kTrailer.size();
  std::vector<std::string> messages;
  std::string current;
  std::size_t in_current = 0;
  auto finish = [&] {
    if (in_current == 0) return;
    current.append(kTrailer);
    messages.push_back(std::move(current));
    current.clear();
    in_current = 0;
  };
  for (const auto& topic : topics) {
    check_topic(topic);
    if (overhead + topic.size() > max_bytes)
      throw SoiError(ErrorCategory::config, "WebSocket topic \"" + topic.substr(0, 80) + "...\" does not fit in a " +
                                                std::to_string(max_bytes) + "-byte message");
    if (in_current > 0 &&
        (in_current == max_topics || current.size() + 1 + topic.size() + kTrailer.size() > max_bytes))
      finish();
    if (in_current == 0) {
      current.reserve(std::min(max_bytes, overhead + 32 * std::min(max_topics, topics.size())));
      current.append(kHeader).append(action).append(kMiddle);
    } else {
      current.push_back(',');
    }
    current.append(topic);
    ++in_current;
  }
  finish();
  return messages;
}

}  // namespace soi
