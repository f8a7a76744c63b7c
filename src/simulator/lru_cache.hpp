// Small thread-safe LRU cache with a weight budget (e.g. number of bars), so a
// handful of huge SPY days and many tiny option days share one memory bound.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

namespace soi::sim {

template <typename Key, typename Value, typename Hash = std::hash<Key>>
class LruCache {
 public:
  explicit LruCache(std::size_t max_weight) : max_weight_(max_weight) {}

  std::optional<Value> get(const Key& key) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) return std::nullopt;
    entries_.splice(entries_.begin(), entries_, it->second);
    return it->second->value;
  }

  // Inserts (or replaces) and evicts least-recently-used entries over budget;
  // the newest entry always stays, even when it alone exceeds the budget.
  void put(const Key& key, Value value, std::size_t weight) {
    std::lock_guard lock(mutex_);
    if (auto it = index_.find(key); it != index_.end()) {
      weight_ -= it->second->weight;
      entries_.erase(it->second);
      index_.erase(it);
    }
    entries_.push_front(Entry{key, std::move(value), weight});
    index_[key] = entries_.begin();
    weight_ += weight;
    while (weight_ > max_weight_ && entries_.size() > 1) {
      const Entry& last = entries_.back();
      weight_ -= last.weight;
      index_.erase(last.key);
      entries_.pop_back();
    }
  }

  // Cached value, or compute() outside the lock (two threads may compute the same
  // key at once; results are deterministic, so the second put is harmless).
  template <typename Compute, typename Weigh>
  Value get_or_compute(const Key& key, Compute&& compute, Weigh&& weigh) {
    if (auto hit = get(key)) return std::move(*hit);
    Value value = compute();
    put(key, value, weigh(value));
    return value;
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
  }

 private:
  struct Entry {
    Key key;
    Value value;
    std::size_t weight;
  };
  mutable std::mutex mutex_;
  std::list<Entry> entries_;
  std::unordered_map<Key, typename std::list<Entry>::iterator, Hash> index_;
  std::size_t max_weight_;
  std::size_t weight_ = 0;
};

}  // namespace soi::sim
