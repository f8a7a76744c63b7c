#include "processing/dedup.hpp"

#include <gtest/gtest.h>

namespace soi {
namespace {

Bar bar(std::int64_t ts, double close) {
  Bar b;
  b.ts_ms = ts;
  b.open = b.high = b.low = b.close = close;
  return b;
}

TEST(DedupTest, LaterArrivalWins) {
  std::vector<Bar> bars{bar(1000, 1), bar(2000, 2), bar(1000, 3), bar(3000, 4), bar(2000, 5)};
  EXPECT_EQ(dedup_keep_last(bars), 2u);
  ASSERT_EQ(bars.size(), 3u);
  EXPECT_EQ(bars[0].ts_ms, 1000);
  EXPECT_EQ(bars[0].close, 3);
  EXPECT_EQ(bars[1].close, 5);
  EXPECT_EQ(bars[2].close, 4);
}

TEST(DedupTest, SortedWithoutDuplicatesIsUntouched) {
  std::vector<Bar> bars{bar(1000, 1), bar(2000, 2), bar(3000, 3)};
  EXPECT_EQ(dedup_keep_last(bars), 0u);
  EXPECT_EQ(bars.size(), 3u);
  std::vector<Bar> none;
  EXPECT_EQ(dedup_keep_last(none), 0u);
}

}  // namespace
}  // namespace soi
