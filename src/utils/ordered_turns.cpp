#include "utils/ordered_turns.hpp"

#include <algorithm>

namespace soi {

OrderedTurns::OrderedTurns(std::size_t permits) : permits_(std::max<std::size_t>(1, permits)) {
  for (std::size_t seat = permits_; seat-- > 0;) free_seats_.push_back(seat);  // seat 0 is taken first
}

OrderedTurns::Turn OrderedTurns::take(std::int64_t key) {
  std::unique_lock lock(mutex_);
  // A multiset inserts an equal key after its equals: first come, first served.
  const auto mine = waiting_.insert(key);
  cv_.wait(lock, [&] { return !free_seats_.empty() && waiting_.begin() == mine; });
  waiting_.erase(mine);
  const std::size_t seat = free_seats_.back();
  free_seats_.pop_back();
  // The next in line may run too when more seats are free.
  if (!free_seats_.empty() && !waiting_.empty()) cv_.notify_all();
  return Turn(this, seat);
}

std::size_t OrderedTurns::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

void OrderedTurns::give_back(std::size_t seat) {
  {
    std::lock_guard lock(mutex_);
    free_seats_.push_back(seat);
  }
  cv_.notify_all();
}

OrderedTurns::Turn& OrderedTurns::Turn::operator=(Turn&& other) noexcept {
  if (this != &other) {
    release();
    turns_ = other.turns_;
    seat_ = other.seat_;
    other.turns_ = nullptr;
  }
  return *this;
}

void OrderedTurns::Turn::release() {
  if (turns_) turns_->give_back(seat_);
  turns_ = nullptr;
}

}  // namespace soi
