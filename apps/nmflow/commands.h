#pragma once
// One function per subcommand: each adds its options to `app` and a callback that runs it.
#include <CLI/CLI.hpp>

#include <string>

#include "cli_common.h"
#include "io/config_yaml.h"

namespace nmflow::cli {

void add_info_command(CLI::App& app);
void add_sample_command(CLI::App& app, const Invocation& invocation);
void add_curvature_command(CLI::App& app, const Invocation& invocation);
void add_run_command(CLI::App& app, const Invocation& invocation);
void add_config_command(CLI::App& app);
void add_check_command(CLI::App& app, const Invocation& invocation);
void add_ntk_command(CLI::App& app, const Invocation& invocation);
void add_bench_command(CLI::App& app);
void add_plot_command(CLI::App& app);

// How `nmflow run` runs a loaded configuration (command_run.cpp): --quick, the output, --resume, the thread count,
// progress, the summary and the exit codes (130 interrupted, 1 a check whose criteria failed). `nmflow check
// local-ricci` runs its embedded configuration through it.
struct RunRequest {
  std::string label;           // what the headline calls the configuration (its path, "default experiment")
  std::string output;          // empty: the config's recording.output
  bool resume = false;
  bool resume_changed = false;
  bool quick = false;
  int threads = 0;             // > 0: overrides the config's `threads`
};
void run_configuration(const LoadedConfig& loaded, const RunRequest& request, const Invocation& invocation);

}  // namespace nmflow::cli
