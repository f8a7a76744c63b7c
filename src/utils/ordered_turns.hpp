// Turns at the CPU for work items that queue in a known order: at most
// `permits` items hold a turn at once, and a free turn goes to the waiting item
// with the lowest key (equal keys: first come, first served).
//
// Why: a backfill has several days in flight, each parsing and encoding on its
// own thread. Sharing the cores among all of them makes every day finish late
// and at once; the committer, which takes days in date order, then idles until
// the whole round is done, and so does the next round's network wait. With turns
// taken earliest day first, days finish one after another in the order they
// are committed, and their places in flight free up early.
//
// Each turn held has a seat in [0, permits), no two at once: per-seat state (a
// parser and its buffers) serves every item, touched by one thread at a time.
//
// Threads: thread-safe. A Turn is released by its destructor; it must not be
// held while waiting for something that needs another turn.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>
#include <vector>

namespace soi {

class OrderedTurns {
 public:
  explicit OrderedTurns(std::size_t permits);
  OrderedTurns(const OrderedTurns&) = delete;
  OrderedTurns& operator=(const OrderedTurns&) = delete;

  class Turn {
   public:
    Turn() = default;
    Turn(Turn&& other) noexcept : turns_(other.turns_), seat_(other.seat_) { other.turns_ = nullptr; }
    Turn& operator=(Turn&& other) noexcept;
    ~Turn() { release(); }
    bool held() const { return turns_ != nullptr; }
    // This turn's seat, in [0, permits()); meaningful while held().
    std::size_t seat() const { return seat_; }

   private:
    friend class OrderedTurns;
    Turn(OrderedTurns* turns, std::size_t seat) : turns_(turns), seat_(seat) {}
    void release();
    OrderedTurns* turns_ = nullptr;
    std::size_t seat_ = 0;
  };

  // Blocks until the item with `key` may run.
  Turn take(std::int64_t key);

  std::size_t permits() const { return permits_; }
  // Items waiting for a turn now (for tests and diagnostics).
  std::size_t waiting() const;

 private:
  void give_back(std::size_t seat);

  const std::size_t permits_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::size_t> free_seats_;
  std::multiset<std::int64_t> waiting_;
};

}  // namespace soi
