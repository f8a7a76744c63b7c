#include "orchestrator/worker_clients.hpp"

namespace soi {

RestClient& WorkerClients::at(std::size_t slot) {
  if (slot == 0 || !factory_) return main_;
  while (workers_.size() < slot) {
    RestClient& client = factory_();
    if (!client.rate_limiter() && main_.rate_limiter() && client.base_url() == main_.base_url())
      client.set_rate_limiter(main_.rate_limiter());
    workers_.push_back(&client);
  }
  return *workers_[slot - 1];
}

}  // namespace soi
