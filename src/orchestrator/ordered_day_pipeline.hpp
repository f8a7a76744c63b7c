// Days fetched concurrently, committed one at a time in date order.
//
// run(days, fetch, commit) fetches up to `max_in_flight` days at once and hands
// each fetched day to `commit` in index order (day 0, 1, 2, ...), so whatever
// commit writes (sinks, manifest, progress) sees one thread and the order of a
// sequential run.
//
// Threads:
//  - run() is called by one thread, the committer; commit() runs only there.
//  - fetch(index, slot) runs on worker threads (slots 1..workers) and, when the
//    next day to commit has not been claimed by a worker, on the committer
//    itself (slot 0). A slot is one thread's at a time: per-slot state (a REST
//    client, a parser) needs no lock; anything else fetch touches must be
//    thread-safe.
//  - A fetch's exception is caught on its thread and handed to commit() as the
//    day's error: nothing escapes a worker.
//  - commit() returning false stops the run: no further day is claimed, days
//    already being fetched finish and are dropped, run() returns the number of
//    days committed. An exception from commit() stops and joins the workers,
//    then leaves run().
// Memory: at most max_in_flight days are being fetched or wait fetched, plus
// the one being committed. With max_in_flight 1 (or a single day) no thread is
// started: every day is fetched and committed by the caller, one after another.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

namespace soi {

template <typename Fetched>
class OrderedDayPipeline {
 public:
  // What one day's fetch produced: a value, or the exception it threw.
  struct Day {
    std::optional<Fetched> value;
    std::exception_ptr error;
  };
  using Fetch = std::function<Fetched(std::size_t index, std::size_t slot)>;
  using Commit = std::function<bool(std::size_t index, Day day)>;

  explicit OrderedDayPipeline(std::size_t max_in_flight) : max_in_flight_(std::max<std::size_t>(1, max_in_flight)) {}

  // Slots fetch may be called with for `days` days: 0 (the committer) and one
  // per worker thread. Prepare per-slot state for all of them before run().
  static std::size_t slots_for(std::size_t max_in_flight, std::size_t days) {
    return 1 + worker_count(std::max<std::size_t>(1, max_in_flight), days);
  }

  // Committer thread. Returns how many days were handed to commit().
  std::size_t run(std::size_t days, const Fetch& fetch, const Commit& commit) {
    {
      std::lock_guard lock(mutex_);
      days_ = days;
      next_claim_ = next_take_ = 0;
      stop_ = false;
      ready_.clear();
      peak_in_flight_ = 0;
    }
    Workers workers{*this, {}};
    const std::size_t threads = worker_count(max_in_flight_, days);
    for (std::size_t w = 1; w <= threads; ++w) {
      try {
        workers.threads.emplace_back([this, &fetch, w] { work(fetch, w); });
      } catch (const std::system_error&) {
        break;  // fewer threads: the committer fetches what no worker claims
      }
    }
    std::size_t committed = 0;
    for (std::size_t k = 0; k < days; ++k) {
      std::optional<Day> day;  // Fetched need only be move-constructible
      bool mine = false;
      {
        std::unique_lock lock(mutex_);
        if (next_claim_ == k) {
          mine = true;
          claim_locked();
        } else {
          cv_.wait(lock, [&] { return ready_.count(k) != 0; });
          auto it = ready_.find(k);
          day.emplace(std::move(it->second));
          ready_.erase(it);
          next_take_ = k + 1;
          cv_.notify_all();
        }
      }
      if (mine) {
        day.emplace(fetch_one(fetch, k, 0));
        std::lock_guard lock(mutex_);
        next_take_ = k + 1;
        cv_.notify_all();
      }
      ++committed;
      if (!commit(k, std::move(*day))) break;
    }
    return committed;  // ~Workers stops and joins
  }

  // Most days claimed and not yet taken by the committer at any moment of the
  // last run (being fetched, or fetched and waiting). Never above max_in_flight.
  std::size_t peak_in_flight() const {
    std::lock_guard lock(mutex_);
    return peak_in_flight_;
  }
  std::size_t max_in_flight() const { return max_in_flight_; }

 private:
  static std::size_t worker_count(std::size_t max_in_flight, std::size_t days) {
    return max_in_flight > 1 && days > 1 ? std::min(max_in_flight, days) : 0;  // one day: the committer fetches it
  }

  // Stops and joins the workers however run() is left.
  struct Workers {
    OrderedDayPipeline& pipeline;
    std::vector<std::thread> threads;
    ~Workers() {
      {
        std::lock_guard lock(pipeline.mutex_);
        pipeline.stop_ = true;
      }
      pipeline.cv_.notify_all();
      for (auto& t : threads) t.join();
    }
  };

  void claim_locked() {
    ++next_claim_;
    peak_in_flight_ = std::max(peak_in_flight_, next_claim_ - next_take_);
  }

  static Day fetch_one(const Fetch& fetch, std::size_t index, std::size_t slot) {
    Day day;
    try {
      day.value.emplace(fetch(index, slot));
    } catch (...) {
      day.error = std::current_exception();
    }
    return day;
  }

  void work(const Fetch& fetch, std::size_t slot) {
    for (;;) {
      std::size_t index;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return stop_ || next_claim_ >= days_ || next_claim_ < next_take_ + max_in_flight_; });
        if (stop_ || next_claim_ >= days_) return;
        index = next_claim_;
        claim_locked();
      }
      Day day = fetch_one(fetch, index, slot);
      {
        std::lock_guard lock(mutex_);
        if (stop_) return;  // the committer is gone: the day is dropped
        ready_.emplace(index, std::move(day));
      }
      cv_.notify_all();
    }
  }

  const std::size_t max_in_flight_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::size_t days_ = 0;
  std::size_t next_claim_ = 0;  // the next day a fetcher may claim
  std::size_t next_take_ = 0;   // days before this one were taken by the committer
  bool stop_ = false;
  std::map<std::size_t, Day> ready_;  // fetched, waiting for the committer
  std::size_t peak_in_flight_ = 0;
};

}  // namespace soi
