#include "data_sources/response_buffer_pool.hpp"

#include <algorithm>
#include <utility>

namespace soi {

ResponseBufferPool& ResponseBufferPool::shared() {
  static ResponseBufferPool pool;
  return pool;
}

std::string ResponseBufferPool::take() {
  std::lock_guard lock(mutex_);
  if (buffers_.empty()) return {};
  const auto largest = std::max_element(buffers_.begin(), buffers_.end(), [](const auto& a, const auto& b) {
    return a.capacity() < b.capacity();
  });
  std::string buffer = std::move(*largest);
  buffers_.erase(largest);
  buffer.clear();
  return buffer;
}

void ResponseBufferPool::give_back(std::string&& body) {
  if (body.capacity() < kMinBufferBytes || body.capacity() > kMaxBufferBytes) return;
  std::string kept = std::move(body);
  std::lock_guard lock(mutex_);
  if (buffers_.size() < kMaxBuffers) {
    buffers_.push_back(std::move(kept));
    return;
  }
  // Full: keep the larger of the new body and the smallest kept one.
  const auto smallest = std::min_element(buffers_.begin(), buffers_.end(), [](const auto& a, const auto& b) {
    return a.capacity() < b.capacity();
  });
  if (smallest->capacity() < kept.capacity()) std::swap(*smallest, kept);
  // `kept` now holds the smaller; declared before the lock, it is freed after the lock is released.
}

std::size_t ResponseBufferPool::size() const {
  std::lock_guard lock(mutex_);
  return buffers_.size();
}

}  // namespace soi
