// Response bodies used again: a day of bars is a body of megabytes, above
// glibc's mmap threshold, so a fresh body is a fresh mapping whose every page
// faults in on first write, and is unmapped again when the body is freed. On a
// backfill those faults cost more CPU than copying the bytes. Bodies that have
// been parsed come back here, and the next response is read into one of them.
//
// Bounded: at most kMaxBuffers bodies of at most kMaxBufferBytes each are kept
// (one per day in flight by default; a day of SPY is ~2-3 MB); a body beyond either is freed.
//
// Threads: thread-safe; one pool per process (shared()), as for an allocator.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

namespace soi {

class ResponseBufferPool {
 public:
  static constexpr std::size_t kMaxBuffers = 8;
  static constexpr std::size_t kMaxBufferBytes = 8u << 20;
  // Smaller bodies are cheap to allocate and would crowd out the large ones.
  static constexpr std::size_t kMinBufferBytes = 64u << 10;

  static ResponseBufferPool& shared();

  // An empty string with the smallest capacity of at least `bytes` the pool
  // holds; a plain empty string when none is that large (the pool keeps its
  // buffers: a smaller one would be reallocated and freed at once).
  std::string take(std::size_t bytes);
  // A body no longer needed, always consumed: kept when there is room and it is
  // neither tiny nor too large, freed otherwise.
  void give_back(std::string body);

  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> buffers_;
};

}  // namespace soi
