// The session's options universe: discovered once the market reaches the open
// (centred on the underlying's opening print, the `op` of its connection, or
// over REST once open_wait_seconds have passed without it), committed as the
// day's options_contracts partition, and its contracts subscribed over the
// connection set. A restart the same day resumes the committed universe
// instead (re-centred contracts included).
//
// A re-centre (SIGUSR1) discovers the band around the underlying's last price:
// contracts already tracked stay tracked (their bars so far belong to the day),
// new ones are subscribed and their day so far is fetched over REST as a gap.
//
// Threads: the session's writer thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "orchestrator/options_backfill.hpp"
#include "orchestrator/stream_connections.hpp"
#include "orchestrator/stream_day_committer.hpp"

namespace soi {

class OptionsUniverseTracker {
 public:
  struct Services {
    const StreamFeedSet& feeds;  // feeds.options() must be set
    BackfillServices backfill;   // discovery over REST, the errors log
    std::function<RestClient&(const std::string& base_url)> worker_client;
    StreamConnectionSet& connections;
    StreamDayBook& day;          // learns each tracked contract
    StreamDayCommitter& committer;
    GapRepairer& gaps;           // a re-centre's new contracts, from the open
    std::function<std::int64_t()> market_now;  // market time (UTC ms), read when a re-centre's gap ends
  };
  OptionsUniverseTracker(Services services, BarWindow session);

  // The universe an earlier run of the day committed: tracked at the open, not rediscovered.
  void resume(std::optional<OptionsUniverse> committed) { committed_ = std::move(committed); }
  // Discovers (or resumes) the universe once market time has reached the open;
  // retried after a failure. An auth failure sets fatal().
  void maybe_discover(std::int64_t market_now_ms);
  void recenter();

  bool known() const noexcept { return universe_.has_value(); }
  std::size_t contracts() const noexcept { return universe_ ? universe_->contracts.size() : 0; }
  const std::string& fatal() const noexcept { return fatal_; }

 private:
  using Clock = std::chrono::steady_clock;
  void track(const std::vector<OptionContract>& contracts);
  ErrorContext context() const;

  Services s_;
  BarWindow session_;
  OptionsBackfillJob job_;
  std::optional<OptionsUniverse> universe_;
  std::optional<OptionsUniverse> committed_;
  Clock::time_point open_seen_at_{};  // when market time first reached the open
  Clock::time_point next_discovery_{};
  std::string fatal_;
};

}  // namespace soi
