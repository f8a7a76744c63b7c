#include "utils/heap_release.hpp"

#include <malloc.h>

namespace soi {

namespace {
constexpr int kThresholdBytes = 1 << 20;
}  // namespace

void bound_retained_heap() {
  // Setting either threshold also turns glibc's dynamic adjustment off.
  ::mallopt(M_TRIM_THRESHOLD, kThresholdBytes);
  ::mallopt(M_MMAP_THRESHOLD, kThresholdBytes);
}

void release_free_heap() { ::malloc_trim(0); }

}  // namespace soi
