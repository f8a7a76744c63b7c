// The REST clients of a job's concurrent workers: slot 0 is the job's own
// client, slots 1.. come from the run's worker-client factory, created on first
// use and kept for the job's life (a curl handle and its open connection are
// reused from day to day). A worker client without a rate limiter gets the
// main client's when both talk to the same base URL: one budget per host.
//
// Threads: at() and prepare() from the coordinating thread only (the factory
// appends to the run's list of clients); each client returned is then used by
// one thread at a time.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "data_sources/rest_client.hpp"

namespace soi {

class WorkerClients {
 public:
  // factory: nullptr means the main client is the only one (one worker).
  WorkerClients(RestClient& main, std::function<RestClient&()> factory)
      : main_(main), factory_(std::move(factory)) {}

  // Slots available at most: 1 without a factory, else `wanted`.
  std::size_t usable(std::size_t wanted) const { return factory_ ? wanted : 1; }
  // Creates the clients of slots [0, n) now.
  void prepare(std::size_t n) {
    if (n) at(n - 1);
  }
  RestClient& at(std::size_t slot);
  RestClient& main() const { return main_; }

 private:
  RestClient& main_;
  std::function<RestClient&()> factory_;
  std::vector<RestClient*> workers_;  // slots 1..
};

}  // namespace soi
