#include "processing/deferred_drift.hpp"

#include <utility>

namespace soi {

void DeferredDrift::add(std::string_view source, Date date, std::string_view field, DriftKind kind,
                        std::string_view example) {
  // The whole example: the tracker redacts before it shortens (a cut could hide half a key from redaction).
  Observation o{std::string(source), date, std::string(field), kind, std::string(example)};
  std::lock_guard lock(mutex_);
  observations_.push_back(std::move(o));
}

void DeferredDrift::replay(SchemaDriftTracker& tracker) {
  std::vector<Observation> observations;
  {
    std::lock_guard lock(mutex_);
    observations.swap(observations_);
  }
  for (const Observation& o : observations) tracker.observe(o.source, o.date, o.field, o.kind, o.example);
}

}  // namespace soi
