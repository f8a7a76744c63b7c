// A thread's arena gives its free top back once the thresholds are bounded, even
// after a large block raised glibc's dynamic thresholds: what the daemon relies on
// to hold the same memory after a week as after a day.
#include "utils/heap_release.hpp"

#include <malloc.h>

#include <cstdlib>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/sanitized_build.hpp"

namespace soi {
namespace {

using test::kSanitizedBuild;

// Bytes every arena holds from the system (mapped blocks apart).
std::size_t arena_bytes() { return ::mallinfo2().arena; }

// On a thread of its own (an arena of its own): 40 blocks of 256 KiB, freed
// in reverse order, so they end as one free top of 10 MiB, above the bound.
void churn_on_a_thread() {
  std::thread([] {
    std::vector<void*> blocks;
    for (int i = 0; i < 40; ++i) {
      void* p = std::malloc(256 << 10);
      static_cast<volatile char*>(p)[0] = 1;
      blocks.push_back(p);
    }
    for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) std::free(*it);
  }).join();
}

TEST(HeapReleaseTest, AThreadArenaKeepsNoMoreThanTheBoundOfFreeTop) {
  if (kSanitizedBuild) GTEST_SKIP() << "AddressSanitizer replaces glibc's allocator: no arena to bound";
  bound_retained_heap();
  // A large block freed would raise glibc's dynamic thresholds; bounded, they stay put.
  void* large = std::malloc(16 << 20);
  static_cast<volatile char*>(large)[0] = 1;
  std::free(large);
  const std::size_t before = arena_bytes();
  churn_on_a_thread();
  release_free_heap();
  const std::size_t after = arena_bytes();
  EXPECT_LT(after, before + (2u << 20)) << "arenas held " << before << " bytes before, " << after << " after";
}

}  // namespace
}  // namespace soi
