// Keeping a long-lived process's heap at what it uses. glibc gives each thread
// that allocates an arena of its own, and its dynamic thresholds rise with the
// largest block freed (REST pages of several MB, a day's bars): the free top of
// a thread's arena above the raised threshold is then kept, and malloc_trim()
// releases free chunks but never a thread arena's top. A daemon that runs a
// fresh set of threads every session accumulates those tops day after day, and
// a backfill's dozens of fetch threads each keep the peak they reached.
// Called from the main thread only: soi's main() bounds the heap before any
// command runs; the daemon releases between sessions.
#pragma once

namespace soi {

// Fixes glibc's trim and mmap thresholds at 2 MiB: a block that large is
// mapped and unmapped on its own, and no arena keeps more than 2 MiB of free
// top. Call once, before the threads that allocate start.
void bound_retained_heap();

// Hands every arena's free pages back to the OS (between sessions, when the
// day's threads and buffers are gone).
void release_free_heap();

}  // namespace soi
