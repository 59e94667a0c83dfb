#pragma once
// An experiment kind: one study a user can run with `nmflow run` (docs/config.md lists every kind and its keys).
// Each kind has a typed config section (io/config_schema.h, validated by io/config_yaml.h), a runner that goes
// through the one run lifecycle (run_lifecycle.h) and writes one declared HDF5 layout (docs/hdf5.md), and reports
// progress and its summary through the types below, so that the front end (apps/nmflow) only dispatches and prints.
// The registry (experiment_registry.h) lists the kinds.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <c10/core/ScalarType.h>

#include "experiments/run_lifecycle.h"
#include "io/config_schema.h"

namespace nmflow {

// The ATen dtype of a config's `dtype`.
inline at::ScalarType precision_dtype(Precision precision) {
  return precision == Precision::Float32 ? at::kFloat : at::kDouble;
}

// One unit of work done: a step, an epoch, a degree, a ladder run, a check case.
struct RunProgress {
  int64_t done = 0;    // units done so far (restored ones included)
  int64_t total = 0;   // units the run takes in all
  std::string unit;    // "step", "epoch", …
  std::string line;    // what the kind reports of this unit, one line without the unit count
  bool frequent = false;  // many per run (steps): a front end may redraw a bar and thin plain lines
};

struct RunHooks {
  std::function<void(const RunProgress& progress)> on_progress;
  // Checked between units of work; true stops the run cleanly (checkpoint written, file closed, status interrupted).
  std::function<bool()> stop_requested;

  void progress(const RunProgress& p) const {
    if (on_progress) on_progress(p);
  }
  bool stop() const { return stop_requested && stop_requested(); }
};

// What a run tells its user at the end.
struct RunReport {
  std::vector<std::string> lines;  // the summary, one printed line each
  bool interrupted = false;
  std::string stopped_after;       // "step 7", "epoch 2", … (when interrupted)
  bool failed_check = false;       // a check kind whose criteria were not met (the run itself completed)
};

struct ExperimentKind {
  std::string name;
  // true: --resume continues an interrupted or killed run bit for bit (CPU).
  bool resumable = false;
  // One line naming what the run will do (after "nmflow run: <file>").
  std::function<std::string(const ExperimentConfig& config, const ExperimentRunOptions& options)> headline;
  std::function<RunReport(const ExperimentConfig& config, const ExperimentRunOptions& options,
                          const RunHooks& hooks)>
      run;
};

}  // namespace nmflow
