// nmflow config: the embedded default experiment (--print-default, exactly the text `nmflow run` runs without a
// file) and validation of a configuration without running it (--check).
#include <fmt/core.h>

#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "experiments/experiment_registry.h"
#include "io/config_entries.h"
#include "io/config_yaml.h"

namespace nmflow::cli {
namespace {

struct ConfigOptions {
  bool print_default = false;
  std::string kind;
  std::string check;
  std::vector<std::string> sets;
};

}  // namespace


void add_config_command(CLI::App& app) {
  auto options = std::make_shared<ConfigOptions>();
  CLI::App* command = app.add_subcommand("config", "Print the default experiment or validate a configuration");
  CLI::Option* print = command->add_flag("--print-default", options->print_default,
                                         "Print the embedded default experiment (YAML); with --kind, every key of "
                                         "that kind at its default");
  command->add_option("--kind", options->kind,
                      "With --print-default: real_metric_flow, cy_metric, donaldson, cy_free_metric, "
                      "cy_width_ladder, local_ricci_check or ricci_flow")
      ->needs(print);
  CLI::Option* check =
      command->add_option("--check", options->check, "Validate a configuration file")->check(CLI::ExistingFile);
  print->excludes(check);
  command->add_option("--set", options->sets, "Override a key before validating: key.path=value (repeatable)")
      ->allow_extra_args(false);
  command->callback([options] {
    if (options->print_default) {
      fmt::print("{}", options->kind.empty() ? default_config_text() : default_config_yaml(options->kind));
      return;
    }
    if (options->check.empty()) {
      throw UsageError("config: give --print-default or --check FILE");
    }
    const LoadedConfig loaded = load_config_file(options->check, options->sets);
    const ExperimentConfig& c = loaded.config;
    fmt::print("{}: valid ({})\n", options->check, c.kind + " on " + find_experiment_kind(c.kind).headline(c, ExperimentRunOptions{}));
  });
}

}  // namespace nmflow::cli
