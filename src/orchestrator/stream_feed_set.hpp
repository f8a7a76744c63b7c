// The streamed feeds of one session: the registry's entries that have a
// WebSocket market, addressed by the feed id the write-ahead log carries (the
// feed's registry position), and the option_bars feed whose universe the
// session discovers. Every part of the session asks this one object which
// feeds stream, so no part keeps a feed list of its own.
//
// Threads: immutable after construction; any thread may read it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/feed_registry.hpp"
#include "processing/stream_day_book.hpp"

namespace soi {

class StreamFeedSet {
 public:
  StreamFeedSet(const FeedRegistry& registry, const Config& config);

  // Every streamed feed, registry order (enabled or not: a log written with a
  // feed enabled must still replay when it is not).
  const std::vector<StreamFeed>& all() const noexcept { return streamed_; }
  const FeedSpec& spec(StreamFeed feed) const { return registry_[feed.index]; }
  bool enabled(StreamFeed feed) const { return spec(feed).enabled(config_); }
  // A log record's feed id as a streamed feed (nullopt: a corrupt or foreign record).
  std::optional<StreamFeed> from_log_id(std::uint8_t id) const;

  // The option_bars feed, when enabled: a universe to discover at the open.
  const std::optional<StreamFeed>& options() const noexcept { return options_; }
  const FeedSpec& options_spec() const { return spec(*options_); }
  // The universe's dataset (data/raw/<name>): the options feed's companion,
  // which the registry guarantees an option_bars feed has.
  const std::string& contracts_dataset() const { return options_spec().companion->name; }

  const FeedRegistry& registry() const noexcept { return registry_; }
  const Config& config() const noexcept { return config_; }

 private:
  const FeedRegistry& registry_;
  const Config& config_;
  std::vector<StreamFeed> streamed_;
  std::optional<StreamFeed> options_;
};

}  // namespace soi
