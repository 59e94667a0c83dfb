#pragma once
// Experiment: a neural metric flow on a real manifold built from a validated ExperimentConfig (io/config_schema.h,
// docs/config.md) and run with its trajectory recorded to HDF5 (io/trajectory_recorder.h, docs/hdf5.md).
//   manifold  reference metric g₀ (the starting metric) + its sampler: training points (weights) and probe points
//   model     NeuralMetric; background 'reference' composes it with g₀: conformal g = e^{2u} g₀, symmetric
//             g = g₀ + P(f); background 'none' takes the network's metric as g
//   loss      einstein | ricci_norm | perelman_f (−F, dilaton slaved to the sampling measure), + volume penalty
//   trainer   sgd (the flow proper, t = Σ η) | adam | lbfgs, with schedules and clipping
//   compare   optional: the reference Ricci flow from the same g₀ at matched t (ricci_flow_comparison.h)
// Checkpoints (<output>.checkpoint) hold the trainer state and the current training points, so a resumed run
// continues bit for bit (CPU).
#include <cstdint>
#include <string>

#include "experiments/experiment_kind.h"
#include "io/config_schema.h"

namespace nmflow {

struct ExperimentSummary {
  int64_t steps_done = 0;
  int64_t total_steps = 0;
  int64_t resumed_from = 0;       // steps restored from the checkpoint (0: fresh run)
  bool interrupted = false;
  double flow_time = 0.0;         // t = Σ η
  double first_loss = 0.0;        // of this invocation's first step (NaN when no step ran)
  double last_loss = 0.0;
  double scalar_range_initial = 0.0;  // max R − min R on the probes when this invocation starts
  double scalar_range_final = 0.0;
  double scalar_mean_final = 0.0;
  int64_t records = 0;
  std::string checkpoint;         // its path ("" when none was written)
  // With compare.ricci_flow (ricci_flow_comparison.h): records under /compare and the last one taken this invocation.
  int64_t compare_records = 0;
  double compare_time = 0.0;
  double compare_deviation_max = 0.0;
  double compare_deviation_mean = 0.0;
  double compare_drift_max = 0.0;  // max d(g₀, g_ref): the deviation of a network that does not move
  double compare_scalar_w2 = 0.0;
  bool compare_stopped = false;   // the network's t passed the reference's extinction time
  double compare_extinction_time = 0.0;
};

// Builds everything, then runs the remaining steps. Throws nmflow::Error (NaN losses name the step).
// Progress: one RunProgress per step (unit "step", frequent); stop_requested is checked between steps.
ExperimentSummary run_experiment(const ExperimentConfig& config, const ExperimentRunOptions& options,
                                 const RunHooks& hooks = {});

// The registry's entry (experiment_registry.h): run_experiment with its headline and summary.
ExperimentKind real_metric_flow_kind();

}  // namespace nmflow
