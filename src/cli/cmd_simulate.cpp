// soi simulate: a local Polygon/Massive-compatible REST API and WebSocket feed
// (synthetic or replayed data, simulated clock, optional fault injection) for
// tests, demos and offline development.
#include <pthread.h>
#include <signal.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "config/config.hpp"
#include "simulator/fault_injector.hpp"
#include "simulator/http_server.hpp"
#include "sinks/sink_factory.hpp"
#include "utils/error.hpp"
#include "utils/time_util.hpp"

namespace soi::cli {
namespace {

struct SimulateFlags {
  int port = 0;
  std::string port_file;
  std::string request_log;
  unsigned seed = 0;
  double spy_open = 0;
  double vix_level = 0;
  std::string data;
  std::string replay_dir;
  std::vector<std::string> faults;
  std::string api_key;
  double speed = 1;
  std::string start;
  // Which flags were given: only those override config/simulator.yaml.
  CLI::Option* seed_opt = nullptr;
  CLI::Option* spy_open_opt = nullptr;
  CLI::Option* vix_level_opt = nullptr;
  CLI::Option* data_opt = nullptr;
  CLI::Option* replay_dir_opt = nullptr;
  bool replay_from_bucket = false;
  CLI::Option* speed_opt = nullptr;
  CLI::Option* start_opt = nullptr;
};

// The simulator needs only simulator.yaml; outside a soi checkout (no ./config)
// it runs on built-in defaults instead of refusing to start. An explicit
// --config DIR that does not exist is still an error (from load_config).
SimulatorConfig load_simulator_config(const GlobalOptions& global) {
  std::error_code ec;
  if (global.config_dir == GlobalOptions{}.config_dir && !std::filesystem::is_directory(global.config_dir, ec)) {
    std::cerr << "simulator: no '" << global.config_dir << "' directory, using built-in defaults" << std::endl;
    return SimulatorConfig{};
  }
  return load_config(global.config_dir).simulator;
}

int run_simulate(const GlobalOptions& global, const SimulateFlags& f) {
  SimulatorConfig config = load_simulator_config(global);
  if (f.seed_opt->count()) config.seed = f.seed;
  if (f.spy_open_opt->count()) config.spy_open = f.spy_open;
  if (f.vix_level_opt->count()) config.vix_level = f.vix_level;
  if (f.data_opt->count()) config.data = f.data;
  if (f.replay_dir_opt->count()) config.replay_dir = f.replay_dir;
  if (f.speed_opt->count()) config.ws_speed = f.speed;
  if (f.start_opt->count()) config.ws_start = f.start;
  config.faults.insert(config.faults.end(), f.faults.begin(), f.faults.end());

  sim::SimulatorOptions options;
  options.config = config;
  options.port = f.port;
  options.port_file = f.port_file;
  options.api_key = f.api_key;
  options.request_log = f.request_log;
  if (f.replay_from_bucket) {
    if (f.replay_dir_opt->count() || (f.data_opt->count() && f.data != "replay"))
      throw SoiError(ErrorCategory::config,
                     "--replay-from-bucket replays the bucket: it takes neither --replay-dir nor --data " + f.data);
    // The bucket of sinks.yaml object_store (its credentials from the environment or .env).
    options.replay_store = make_bucket_store(load_config(global.config_dir));
    options.config.data = "replay";
  }

  // Block the stop signals before any thread exists so every thread inherits the
  // mask and the main thread alone receives them through sigwait().
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  sim::SimulatorServer server(std::move(options));
  server.start();
  // Scripts wait for this exact line (or the port file) before sending requests.
  std::cerr << "simulator listening on " << server.base_url() << std::endl;
  std::cerr << "simulator: websocket on ws://127.0.0.1:" << server.port() << "/{stocks,options,indices}, clock "
            << format_ny_rfc3339(server.clock().now_ms()) << " at speed " << config.ws_speed << std::endl;
  std::cerr << "simulator: data " << (f.replay_from_bucket ? "replay (from the bucket)" : config.data) << ", seed " << config.seed << ", " << config.faults.size()
            << " fault spec(s)" << std::endl;
  int received = 0;
  sigwait(&signals, &received);
  server.stop();
  std::cerr << "simulator stopped (" << (received == SIGINT ? "SIGINT" : "SIGTERM") << "): " << server.stats_summary()
            << std::endl;
  return 0;
}

}  // namespace

void add_simulate_command(CLI::App& app, const GlobalOptions& global, Runner& runner) {
  auto* cmd = app.add_subcommand(
      "simulate",
      "Serve a local Polygon/Massive-compatible REST API and WebSocket feed (ws://.../stocks, /options, /indices) "
      "on 127.0.0.1 (synthetic or replayed data, a settable clock and speed, optional fault injection) until "
      "SIGINT/SIGTERM. Flags override config/simulator.yaml. See docs/simulator.md.");
  auto f = std::make_shared<SimulateFlags>();
  cmd->add_option("--port", f->port, "TCP port on 127.0.0.1; 0 picks a free port (see --port-file)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--port-file", f->port_file,
                  "write the bound port to this file (atomically: temp file, then rename) once listening");
  f->seed_opt = cmd->add_option("--seed", f->seed,
                                "seed of the synthetic market, news and prob= faults (default: simulator.yaml, 42)");
  f->spy_open_opt = cmd->add_option("--spy-open", f->spy_open,
                                    "synthetic SPY open on 2020-01-02, the anchor of the daily walk (default 590)")
                        ->check(CLI::PositiveNumber);
  f->vix_level_opt = cmd->add_option("--vix-level", f->vix_level, "long-run synthetic VIX level (default 16)")
                         ->check(CLI::PositiveNumber);
  f->data_opt = cmd->add_option("--data", f->data, "bar source: synthetic (generated) or replay (Parquet from --replay-dir)")
                    ->check(CLI::IsMember({"synthetic", "replay"}));
  cmd->add_flag("--replay-from-bucket", f->replay_from_bucket,
                "replay the partitions stored in the bucket of sinks.yaml object_store (implies --data replay)");
  f->replay_dir_opt = cmd->add_option("--replay-dir", f->replay_dir,
                                      "soi data directory to replay (reads raw/{spy,vix,options}/date=YYYY-MM-DD/*.parquet)");
  f->speed_opt = cmd->add_option("--speed", f->speed,
                                 "simulated seconds per wall second of the clock (REST now and WebSocket): 1 real "
                                 "time, 60, ...; 0 streams as fast as the client reads (default: simulator.yaml, 1)")
                     ->check(CLI::Range(0.0, 1000000.0));
  f->start_opt = cmd->add_option("--start", f->start,
                                 "start of the simulated clock, RFC 3339, e.g. 2025-01-17T09:29:00-05:00 (default: "
                                 "now)")
                     ->check(CLI::Validator(
                         [](std::string& text) -> std::string {
                           return text.empty() || parse_rfc3339_ms(text) ? std::string()
                                                                         : "expected an RFC 3339 time such as "
                                                                           "2025-01-17T09:29:00-05:00";
                         },
                         "TIME", "rfc3339"));
  cmd->add_option("--fault", f->faults,
                  "inject a fault, repeatable: kind[:key=value]*; kinds rate_limit[:retry_after=S], "
                  "server_error[:status=500|502|503|504], slow[:delay_ms=MS], truncate, malformed, drop, new_field, "
                  "bad_record; WebSocket ws_refuse_auth, ws_max_connections, ws_close[:mode=close|drop], "
                  "ws_stall[:duration_ms=MS], ws_malformed, ws_unknown_event, ws_late[:lag_s=S] (timed by "
                  "at=HH:MM[:SS] / every_s=N); selection first=N, every=N, prob=P, path=SUBSTR (e.g. "
                  "rate_limit:first=2, server_error:status=502:every=3:path=/v2/aggs, ws_close:every_s=600)")
      ->check(CLI::Validator(
          [](std::string& spec) -> std::string {
            try {
              sim::parse_fault_spec(spec);
              return {};
            } catch (const SoiError& e) {
              return e.message();
            }
          },
          "FAULT", "fault spec"));
  cmd->add_option("--request-log", f->request_log,
                  "append one line per REST request served to this file: <arrival epoch ms> <status> <path> "
                  "(no query, so no key)");
  cmd->add_option("--api-key", f->api_key,
                  "accept only this API key (Bearer header or apiKey=); default: any non-empty key");
  cmd->callback([&runner, &global, f] { runner = [&global, f] { return run_simulate(global, *f); }; });
}

}  // namespace soi::cli
