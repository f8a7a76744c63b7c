// Everything needed to run a simulator instance, in-process or from `soi simulate`.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "sinks/store/partition_store.hpp"

namespace soi::sim {

struct SimulatorOptions {
  SimulatorConfig config;        // data source, replay dir, seed, spy_open, vix_level, fault specs
  int port = 0;                  // 0: an ephemeral port (read it back with SimulatorServer::port())
  std::string port_file;         // when set, the bound port is written here (atomically) once listening
  std::string api_key;           // empty: any non-empty key is accepted
  std::string request_log;       // when set, one line per REST request served (request_log.hpp)
  // The simulator's notion of "now" (UTC ms). Empty: the real clock. Tests pin it
  // to make "today", market status and the no-future-data cut reproducible.
  std::function<std::int64_t()> clock;
  std::size_t cache_bars = 2'000'000;  // bound of the generated/replayed bar cache (~72 bytes per bar)
  // Replay mode: read the partitions through this store (a bucket that is the
  // record) instead of a LocalStore over config.replay_dir. nullptr: the directory.
  std::shared_ptr<PartitionStore> replay_store;
};

}  // namespace soi::sim
