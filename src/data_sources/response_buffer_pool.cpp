#include "data_sources/response_buffer_pool.hpp"

#include <algorithm>
#include <utility>

namespace soi {

ResponseBufferPool& ResponseBufferPool::shared() {
  static ResponseBufferPool pool;
  return pool;
}

std::string ResponseBufferPool::take(std::size_t bytes) {
  std::lock_guard lock(mutex_);
  auto fitting = buffers_.end();
  for (auto it = buffers_.begin(); it != buffers_.end(); ++it)
    if (it->capacity() >= bytes && (fitting == buffers_.end() || it->capacity() < fitting->capacity())) fitting = it;
  if (fitting == buffers_.end()) return {};
  std::string buffer = std::move(*fitting);
  buffers_.erase(fitting);
  buffer.clear();
  return buffer;
}

void ResponseBufferPool::give_back(std::string body) {
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
