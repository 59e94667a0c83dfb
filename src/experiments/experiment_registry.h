#pragma once
// The experiment kinds `nmflow run` dispatches to, by name. Adding a kind: its config section and reader in src/io
// (config_schema.h, config_yaml_kinds.h), its runner here in src/experiments with a `<kind>_kind()` factory listed in
// experiment_registry.cpp, a shipped config under configs/, and its docs.
#include <string>
#include <vector>

#include "experiments/experiment_kind.h"

namespace nmflow {

// Every kind, in the order of io's experiment_kinds() (a test checks that the two lists agree).
const std::vector<ExperimentKind>& experiment_registry();

// The kind named `name`; throws nmflow::Error naming the registered kinds for any other name.
const ExperimentKind& find_experiment_kind(const std::string& name);

}  // namespace nmflow
