// ResponseBufferPool: parsed bodies come back and the next response reuses the
// smallest that fits; the pool stays bounded in count and size.
#include "data_sources/response_buffer_pool.hpp"

#include <gtest/gtest.h>

namespace soi {
namespace {

std::string buffer_of(std::size_t capacity) {
  std::string s;
  s.reserve(capacity);
  s.assign(100, 'x');  // contents must not survive a take()
  return s;
}

TEST(ResponseBufferPool, TakeGivesTheSmallestBufferThatFitsEmpty) {
  ResponseBufferPool pool;
  EXPECT_EQ(pool.take(1).capacity(), std::string().capacity());  // empty pool: a plain string
  pool.give_back(buffer_of(1 << 20));
  pool.give_back(buffer_of(3 << 20));
  pool.give_back(buffer_of(2 << 20));
  EXPECT_EQ(pool.size(), 3u);
  const std::string fitting = pool.take(1536u << 10);  // 1.5 MiB: the 2 MiB buffer
  EXPECT_TRUE(fitting.empty());
  EXPECT_GE(fitting.capacity(), 2u << 20);
  EXPECT_LT(fitting.capacity(), 3u << 20);
  EXPECT_EQ(pool.size(), 2u);
  // None large enough: a plain string, and the pool keeps what it has.
  EXPECT_EQ(pool.take(4u << 20).capacity(), std::string().capacity());
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_GE(pool.take(0).capacity(), 1u << 20);
}

TEST(ResponseBufferPool, KeepsAtMostTheLargestFewAndNeitherTinyNorHugeBodies) {
  ResponseBufferPool pool;
  pool.give_back(buffer_of(1024));  // tiny: freed
  pool.give_back(buffer_of(ResponseBufferPool::kMaxBufferBytes + 4096));  // huge: freed
  EXPECT_EQ(pool.size(), 0u);
  constexpr std::size_t kStep = 256u << 10;
  static_assert((ResponseBufferPool::kMaxBuffers + 2) * kStep <= ResponseBufferPool::kMaxBufferBytes);
  for (std::size_t i = 1; i <= ResponseBufferPool::kMaxBuffers + 2; ++i) pool.give_back(buffer_of(i * kStep));
  EXPECT_EQ(pool.size(), ResponseBufferPool::kMaxBuffers);
  // The smallest two were the ones let go.
  std::size_t smallest = SIZE_MAX;
  while (pool.size() > 0) smallest = std::min(smallest, pool.take(0).capacity());
  EXPECT_GE(smallest, 3 * kStep);
}

}  // namespace
}  // namespace soi
