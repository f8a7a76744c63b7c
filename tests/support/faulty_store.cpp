#include "support/faulty_store.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "utils/error.hpp"

namespace soi::test {

FaultyStore::FaultyStore(std::shared_ptr<PartitionStore> inner, StoreFaults faults)
    : inner_(std::move(inner)), faults_(faults) {}

StagedFile FaultyStore::stage(std::string_view key) { return inner_->stage(key); }

StoredObject FaultyStore::put(StagedFile staged) {
  const std::uint64_t n = ++puts_;
  if (faults_.put_delay.count() > 0) std::this_thread::sleep_for(faults_.put_delay);
  if (n == faults_.fail_put) {
    ++failed_puts_;
    throw SoiError(ErrorCategory::storage, "injected put failure #" + std::to_string(n) + " for " + staged.key());
  }
  if (n == faults_.tear_put) {
    ++failed_puts_;
    std::error_code ec;
    const auto size = std::filesystem::file_size(staged.path(), ec);
    if (!ec) std::filesystem::resize_file(staged.path(), size / 2, ec);
    // A tear that did not happen would let a test pass on an ordinary failure:
    // the harness stops instead.
    if (ec) {
      std::fprintf(stderr, "FaultyStore: cannot tear %s: %s\n", staged.path().c_str(), ec.message().c_str());
      std::abort();
    }
    staged.release();  // a crash leaves the partial file where it was
    throw SoiError(ErrorCategory::storage, "injected torn put #" + std::to_string(n) + " for " + staged.key());
  }
  return inner_->put(std::move(staged));
}

std::optional<LocalObject> FaultyStore::get(std::string_view key) {
  if (faults_.fail_get) throw SoiError(ErrorCategory::storage, "injected get failure for " + std::string(key));
  return inner_->get(key);
}

std::vector<std::string> FaultyStore::list(std::string_view prefix) { return inner_->list(prefix); }
bool FaultyStore::remove(std::string_view key) { return inner_->remove(key); }
std::optional<std::string> FaultyStore::sha256(std::string_view key) { return inner_->sha256(key); }
std::string FaultyStore::location(std::string_view key) const { return inner_->location(key); }
std::size_t FaultyStore::remove_stale_staging(std::string_view prefix) { return inner_->remove_stale_staging(prefix); }

}  // namespace soi::test
