// The simulator's clock: one notion of "now" shared by the REST side (market
// status, no data from the future) and the WebSocket feed.
//
//   now = start + (base() - base_at_construction) * speed      (speed > 0)
//   now = max(start, furthest point streamed so far)            (speed = 0)
//
// base() is the real clock, or a pinned function in tests. Without a start the
// clock starts at base(); with speed 1 and no start it simply is base(), so a
// plain simulator behaves exactly like the real service. With speed 0 nothing
// moves by itself: WebSocket streams push the clock forward as fast as their
// clients read (advance_to), and REST answers agree with what was streamed.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace soi::sim {

class SimClock {
 public:
  // base: UTC ms source (empty = the system clock); start: simulated start (UTC
  // ms, nullopt = base() now); speed >= 0 (throws SoiError(config) otherwise).
  SimClock(std::function<std::int64_t()> base, std::optional<std::int64_t> start, double speed);

  // Parses ws_start ("" = nullopt, else RFC 3339); throws SoiError(config).
  static std::optional<std::int64_t> parse_start(std::string_view text);

  std::int64_t now_ms() const;
  double speed() const { return speed_; }
  bool as_fast_as_possible() const { return speed_ == 0.0; }

  // Speed 0: moves "now" forward to t (never backward). Ignored at other speeds.
  void advance_to(std::int64_t t);

  // Wall-clock milliseconds until simulated time t is reached (0 when already
  // reached; a large value at speed 0, where time only moves by advance_to).
  double wall_ms_until(std::int64_t t) const;

 private:
  std::int64_t base_now() const;

  std::function<std::int64_t()> base_;
  double speed_;
  bool follows_base_ = false;  // speed 1 and no start: now = base()
  std::int64_t start_ms_ = 0;
  std::int64_t base_anchor_ms_ = 0;
  std::atomic<std::int64_t> progress_ms_{0};
};

}  // namespace soi::sim
