#include "orchestrator/stream_feed_set.hpp"

namespace soi {

StreamFeedSet::StreamFeedSet(const FeedRegistry& registry, const Config& config)
    : registry_(registry), config_(config) {
  for (std::size_t i = 0; i < registry_.size(); ++i) {
    if (!registry_[i].streamed()) continue;
    const StreamFeed feed{static_cast<std::uint8_t>(i)};
    streamed_.push_back(feed);
    if (registry_[i].dataset == DatasetKind::option_bars && registry_[i].enabled(config_)) options_ = feed;
  }
}

std::optional<StreamFeed> StreamFeedSet::from_log_id(std::uint8_t id) const {
  if (id >= registry_.size() || !registry_[id].streamed()) return std::nullopt;
  return StreamFeed{id};
}

}  // namespace soi
