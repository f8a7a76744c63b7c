// soi config show: load, validate and print the effective configuration
// (defaults, YAML files and SOI_* overrides applied). Exit 2 when invalid.
#include <iostream>

#include "cli/commands.hpp"
#include "config/config.hpp"

namespace soi::cli {

void add_config_command(CLI::App& app, const GlobalOptions& global, Runner& runner) {
  CLI::App* cmd = app.add_subcommand("config", "Inspect the configuration");
  cmd->require_subcommand(1);
  CLI::App* show = cmd->add_subcommand("show", "Validate config/*.yaml plus SOI_* overrides and print every "
                                               "effective setting as 'file: key = value'");
  show->callback([&runner, &global]() {
    runner = [&global]() -> int {
      std::cout << dump_config(load_config(global.config_dir));
      return 0;
    };
  });
}

}  // namespace soi::cli
