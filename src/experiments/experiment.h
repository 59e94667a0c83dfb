#pragma once
// Experiment: a neural metric flow on a real manifold built from a validated ExperimentConfig (io/config_schema.h,
// docs/config.md) and run with its trajectory recorded to HDF5 (io/trajectory_recorder.h, docs/hdf5.md).
//   manifold  reference metric g₀ (the starting metric) + its sampler: training points (weights) and probe points
//   model     NeuralMetric; background 'reference' composes it with g₀: conformal g = e^{2u} g₀, symmetric
//             g = g₀ + P(f); background 'none' takes the network's metric as g
//   loss      einstein | ricci_norm | perelman_f (−F, dilaton slaved to the sampling measure), + volume penalty
//   trainer   sgd (the flow proper, t = Σ η) | adam | lbfgs, with schedules and clipping
// Checkpoints (<output>.checkpoint) hold the trainer state and the current training points, so a resumed run
// continues bit for bit (CPU).
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "training/trainer.h"
#include "io/config_schema.h"

namespace nmflow {

struct ExperimentRunOptions {
  std::string output;        // the trajectory file (HDF5)
  bool resume = false;       // continue from <output>.checkpoint instead of starting afresh
  bool quick = false;        // recorded as an attribute (the config is already shrunk)
  bool resume_changed = false;  // resume although the config differs from the run's (check_resume_config)
  std::string config_text;   // provenance: the configuration as run
  std::string command_line;  // provenance
  std::string device;        // resolved device ("cpu", "cuda:0")
  std::chrono::system_clock::time_point start_time;
};

struct ExperimentHooks {
  // After every step, with the number of steps the run will take in all.
  std::function<void(const StepRecord& record, int64_t total_steps)> on_step;
  // Checked between steps; true stops the run cleanly (checkpoint written, file closed).
  std::function<bool()> stop_requested;
};

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
};

// --resume continues the same experiment: `config` (as run now, after --quick) must agree with the configuration
// recorded in options.output, apart from resumable_config_keys() (io/config_entries.h). Throws nmflow::Error listing
// every differing key, unless options.resume_changed; returns the differences (empty when none).
std::vector<std::string> check_resume_config(const ExperimentConfig& config, const ExperimentRunOptions& options);

// The checkpoint path of a trajectory file.
std::string checkpoint_path(const std::string& output);

// Builds everything, then runs the remaining steps. Throws nmflow::Error (NaN losses name the step).
ExperimentSummary run_experiment(const ExperimentConfig& config, const ExperimentRunOptions& options,
                                 const ExperimentHooks& hooks = {});

}  // namespace nmflow
