// nmflow check local-ricci: the local-flow Ricci-recovery check (docs/design.md §4, docs/local_ricci.md) as a name.
// It runs kind local_ricci_check (experiments/local_ricci_experiment.h) on the shipped check configuration,
// configs/checks/local_ricci.yaml or, with --quick, configs/checks/local_ricci_quick.yaml, both embedded in the
// binary (io/config_yaml.h); its cases and criteria are data there. Exit 0 when every criterion holds, 1 otherwise.
#include <memory>
#include <string>
#include <vector>

#include "commands.h"

namespace nmflow::cli {
namespace {

struct LocalRicciCheckOptions {
  bool quick = false;
  int64_t seed = -1;  // < 0: the configuration's
  RunRequest request;
};

void run_local_ricci_check(const LocalRicciCheckOptions& o, const Invocation& invocation) {
  const std::string name = o.quick ? "configs/checks/local_ricci_quick.yaml" : "configs/checks/local_ricci.yaml";
  std::vector<std::string> overrides;
  if (o.seed >= 0) overrides.push_back("seed=" + std::to_string(o.seed));
  const std::string label = name + " (embedded)";
  const LoadedConfig loaded = load_config(local_ricci_check_config_text(o.quick), label, overrides);
  RunRequest request = o.request;
  request.label = label;
  run_configuration(loaded, request, invocation);
}

}  // namespace

void add_check_command(CLI::App& app, const Invocation& invocation) {
  CLI::App* check = app.add_subcommand("check", "Self-checks of the flows against their references");
  check->require_subcommand(1);
  auto options = std::make_shared<LocalRicciCheckOptions>();
  CLI::App* local = check->add_subcommand(
      "local-ricci",
      "NN flow of a local-kernel model vs Ricci flow on round and Berger S^3 and a conformal T^2 "
      "(docs/local_ricci.md): "
      "`nmflow run` of the shipped configs/checks/local_ricci.yaml (--quick: local_ricci_quick.yaml), whose cases "
      "and pass/fail criteria are data; `nmflow config --print-default --kind local_ricci_check` prints the quick "
      "one. Exit 1 when a criterion fails");
  local->add_flag("--quick", options->quick, "The quick check (about a minute on one core)");
  local->add_option("--seed", options->seed, "Random seed (features, points, probes); default: the config's, 0")
      ->check(CLI::Range(int64_t{0}, int64_t{INT64_MAX}));
  local->add_option("-o,--output", options->request.output,
                    "Run file (HDF5; default local_ricci.h5, or local_ricci_quick.h5 with --quick)");
  local->add_flag("--resume", options->request.resume, "Continue the check recorded in the run file");
  local->add_option("--threads", options->request.threads, "LibTorch CPU threads (default: the config's, 1)")
      ->check(CLI::Range(0, 4096));
  local->callback([options, &invocation] { run_local_ricci_check(*options, invocation); });
}

}  // namespace nmflow::cli
