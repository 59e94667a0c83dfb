#pragma once
// The free Calabi–Yau metric models as an experiment of `nmflow run` (io/config_schema.h, docs/config.md
// "cy_free_metric"; file layout in docs/hdf5.md "Free metric runs"):
//   cy_free_metric  the points of cy_metric (sample_train_points, sample_validation_points), a FreeCYMetric
//                   (models/free_cy_metric.h) trained by train_free_metric on L = L_MA + α_K L_K + α_T L_T
//                   (training/cy_free_training.h), σ, κ, L_K and L_T on the validation points appended to /epochs
//                   after every evaluation (flushed: a killed run leaves every record), then per-point η ratios and
//                   weights on the validation points and σ, κ, L_K, L_T in /final.
// It runs on the CPU (the model and its per-point data have no device move yet). A checkpoint (<output>.checkpoint:
// parameters, optimiser state, generator, epoch, training time) is written at every evaluation after epoch 0;
// Ctrl-C stops at the next evaluation and still writes /final; --resume continues from the checkpoint (also to a
// larger training.epochs) and reproduces an uninterrupted run bit for bit.
#include <cstdint>
#include <string>

#include "experiments/experiment_kind.h"
#include "io/config_schema.h"

namespace nmflow {

struct CYFreeExperimentSummary {
  int64_t epochs_done = 0;
  int64_t total_epochs = 0;
  int64_t steps_done = 0;
  int64_t steps_per_epoch = 0;
  bool interrupted = false;
  bool starts_at_fubini_study = true;  // additive and multiplicative heads start at g_FS, free at the identity
  double sigma_initial = 0.0;     // σ at epoch 0 on the validation points
  double sigma_final = 0.0;       // σ of the trained model there
  double kappa_final = 0.0;
  double kahler_final = 0.0;      // L_K there
  double transition_final = 0.0;  // L_T there
  double train_loss_final = 0.0;  // NaN when no epoch ran
  double wall_seconds = 0.0;      // training time (evaluations excluded)
  int64_t records = 0;            // entries of /epochs
  int64_t resumed_from_epoch = 0;  // > 0: the run continued a checkpoint taken after this epoch
};

// Builds everything, trains, writes options.output (and its checkpoint). Throws nmflow::Error (config.kind must be
// cy_free_metric and the device the CPU; with options.resume, the checkpoint and the run file must exist).
// Progress: one RunProgress per evaluation (unit "epoch"); stop_requested is checked at every evaluation, and a
// stopped run still writes /final.
CYFreeExperimentSummary run_cy_free_experiment(const ExperimentConfig& config, const ExperimentRunOptions& options,
                                               const RunHooks& hooks = {});

// The registry's entry (experiment_registry.h).
ExperimentKind cy_free_metric_kind();

}  // namespace nmflow
