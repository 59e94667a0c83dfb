#pragma once
// One function per subcommand: each adds its options to `app` and a callback that runs it.
#include <CLI/CLI.hpp>

#include "cli_common.h"

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

}  // namespace nmflow::cli
