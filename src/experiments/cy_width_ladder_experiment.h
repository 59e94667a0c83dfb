#pragma once
// The `cy_width_ladder` kind of `nmflow run` (docs/config.md "cy_width_ladder", docs/hdf5.md "Width-ladder runs",
// docs/ntk_width_ladder.md): the Halverson–Ruehle width ladder (cy_width_ladder.h) on line-sampler points of the
// variety — training points from `seed`, validation points from the CY kinds' independent stream (cy_experiment.h),
// probe points from a third stream. CPU only. Each finished run is appended to /runs and flushed, and a run depends
// only on the points and its (seed, width, regime), so the run file is its own checkpoint: --resume keeps the runs it
// holds and trains the others, giving the file an uninterrupted run writes (times aside).
// Progress: one RunProgress per run (unit "run"); stop_requested is checked before each run.
#include <cstdint>
#include <vector>

#include "experiments/cy_width_ladder.h"
#include "experiments/experiment_kind.h"
#include "geometry/kahler/cy_point_set.h"
#include "geometry/kahler/hypersurface.h"
#include "io/config_schema.h"

namespace nmflow {

// The probe points of a cy_width_ladder config: its ladder.probes line-sampler points from a stream independent of the training
// and validation points'.
CYPointSet sample_probe_points(const Hypersurface& surface, const ExperimentConfig& config);

struct CYWidthLadderSummary {
  double sigma_fs = 0.0;          // σ of Fubini–Study on the validation points (where every run starts)
  std::vector<CYLadderRun> runs;  // the runs done, kept ones first
  int64_t total_runs = 0;
  int64_t resumed_runs = 0;       // runs kept from the run file by --resume
  bool interrupted = false;
};

// Throws nmflow::Error (config.kind must be cy_width_ladder; with options.resume the run file must hold runs of this
// ladder, trained for as many epochs as training.epochs says now).
CYWidthLadderSummary run_cy_width_ladder_experiment(const ExperimentConfig& config,
                                                    const ExperimentRunOptions& options, const RunHooks& hooks = {});

// The registry's entry (experiment_registry.h).
ExperimentKind cy_width_ladder_kind();

}  // namespace nmflow
