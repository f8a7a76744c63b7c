#include "utils/heap_release.hpp"

#include <malloc.h>

namespace soi {

namespace {
// Above a SPY day's bars (~1.6 MB), which then come from the arenas and are
// reused day after day: at 1 MiB they were a fresh mapping each, faulted in
// page by page. The cost is at most 2 MiB of free top kept per arena (glibc:
// 8 arenas a core). 4 MiB, which also keeps the day's REST page (~2.6 MB),
// saved another tenth of a 20-day backfill's CPU but took a year's backfill
// to 296 MiB, against the 300 MiB it must stay within (docs/performance.md).
constexpr int kThresholdBytes = 2 << 20;
}  // namespace

void bound_retained_heap() {
  // Setting either threshold also turns glibc's dynamic adjustment off.
  ::mallopt(M_TRIM_THRESHOLD, kThresholdBytes);
  ::mallopt(M_MMAP_THRESHOLD, kThresholdBytes);
}

void release_free_heap() { ::malloc_trim(0); }

}  // namespace soi
