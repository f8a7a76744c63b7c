// soi: SPY options intelligence command line.
#include <cstdio>
#include <exception>
#include <iostream>

#include "cli/commands.hpp"
#include "sinks/manifest.hpp"
#include "utils/error.hpp"
#include "utils/heap_release.hpp"

int main(int argc, char** argv) {
  CLI::App app{"soi: collect SPY, SPY options near the money, VIX and news from Polygon/Massive into Parquet"};
  app.require_subcommand(1);
  soi::cli::GlobalOptions global;
  global.command_line = soi::RunManifest::join_command_line(argc, argv);
  app.add_option("--config", global.config_dir, "directory with settings, sources, sinks, retry_policy and simulator .yaml files")
      ->capture_default_str();
  soi::cli::Runner runner;
  soi::cli::add_backfill_command(app, global, runner);
  soi::cli::add_stream_command(app, global, runner);
  soi::cli::add_run_command(app, global, runner);
  soi::cli::add_simulate_command(app, global, runner);
  soi::cli::add_query_command(app, global, runner);
  soi::cli::add_config_command(app, global, runner);
  soi::cli::add_status_command(app, global, runner);
  soi::cli::add_sync_command(app, global, runner);
  soi::cli::add_stop_command(app, global, runner);
  soi::cli::add_recenter_command(app, global, runner);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  // Every command runs threads that allocate and free MB-sized blocks (REST
  // pages, days of bars): without this, each thread's arena keeps its peak.
  // Not the simulator: a test server, whose thread per connection builds and
  // drops a page per request; bounded, it spent two thirds of its CPU faulting
  // fresh mappings in, CPU the client it serves on the same machine lacked.
  if (!app.got_subcommand("simulate")) soi::bound_retained_heap();
  try {
    return runner ? runner() : 2;
  } catch (const soi::SoiError& e) {
    std::cerr << "soi: " << e.what() << "\n";
    return e.category() == soi::ErrorCategory::config ? 2 : 1;
  } catch (const std::exception& e) {
    std::cerr << "soi: " << e.what() << "\n";
    return 1;
  }
}
