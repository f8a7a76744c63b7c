// A PartitionStore that fails on demand, for tests of whatever writes or reads
// committed partitions. It wraps a real store (usually a LocalStore over a
// temporary directory) and, declaratively:
//   fail_put = N   the Nth put() throws SoiError(storage) naming the key; the
//                  staged file is dropped and the object is left untouched
//   tear_put = N   the Nth put() is torn as a crash mid-write leaves it: the
//                  staged file is cut to half its bytes and left behind (for
//                  the next stage() or remove_stale_staging() to find), the
//                  object is never replaced, and SoiError(storage) is thrown;
//                  a staged file it cannot cut aborts the test program
//   put_delay      every put() first sleeps this long (a slow store)
//   fail_get       every get() throws SoiError(storage) naming the key
// put() calls are counted from 1 over the store's life, whatever their key.
// Everything else goes to the wrapped store unchanged.
//
// Threads: as the wrapped store; the counters are atomic.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "sinks/store/partition_store.hpp"

namespace soi::test {

struct StoreFaults {
  std::uint64_t fail_put = 0;  // 0: never
  std::uint64_t tear_put = 0;  // 0: never
  std::chrono::milliseconds put_delay{0};
  bool fail_get = false;
};

class FaultyStore : public PartitionStore {
 public:
  FaultyStore(std::shared_ptr<PartitionStore> inner, StoreFaults faults);

  StagedFile stage(std::string_view key) override;
  StoredObject put(StagedFile staged) override;
  std::optional<LocalObject> get(std::string_view key) override;
  std::vector<std::string> list(std::string_view prefix) override;
  bool remove(std::string_view key) override;
  std::optional<std::string> sha256(std::string_view key) override;
  std::string location(std::string_view key) const override;
  std::size_t remove_stale_staging(std::string_view prefix) override;

  std::uint64_t puts() const { return puts_.load(); }            // put() calls so far
  std::uint64_t failed_puts() const { return failed_puts_.load(); }  // of which injected failures (fail or tear)

 private:
  std::shared_ptr<PartitionStore> inner_;
  StoreFaults faults_;
  std::atomic<std::uint64_t> puts_{0};
  std::atomic<std::uint64_t> failed_puts_{0};
};

}  // namespace soi::test
