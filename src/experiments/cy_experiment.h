#pragma once
// Calabi–Yau experiments of `nmflow run` (io/config_schema.h, docs/config.md "Calabi–Yau kinds"; file layout in
// docs/hdf5.md "Calabi–Yau runs"):
//   cy_metric   line-sampler points on the variety (train: seed, validation: an independent stream), the Kähler
//               φ-model trained by train_phi_model on the Monge–Ampère loss, σ/κ appended to /epochs after every
//               evaluation (flushed: a killed run leaves every record), then per-point η ratios and weights on the
//               validation points and, with measures.curvature, the curvature measures of the trained metric;
//   donaldson   balanced metrics for each k of donaldson.k (donaldson_experiment.h).
// cy_metric samples its points on the CPU and trains on options.device (cpu or cuda; the curvature measures run on a
// CPU copy); donaldson runs on the CPU. cy_metric writes a checkpoint (<output>.checkpoint: parameters, Adam state, generator, epoch,
// training time) at every evaluation after epoch 0; Ctrl-C stops at the next evaluation and still writes /final;
// --resume continues from the checkpoint (also to a larger training.epochs) and reproduces an uninterrupted run bit
// for bit on the CPU.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "training/cy_training.h"
#include "experiments/experiment.h"
#include "geometry/kahler/cy_point_set.h"
#include "geometry/kahler/hypersurface.h"
#include "io/config_schema.h"

namespace nmflow {

class Hdf5File;

// The variety of a validated config (make_hypersurface with ψ for the Dwork members).
Hypersurface variety_hypersurface(const VarietyConfig& variety);

// The training (or balancing) points and the validation points of a CY config (its points section and the
// config's seed): line-sampler points drawn from `seed` and from seed ^ 0x9E3779B97F4A7C15 (the probe-stream offset
// of the real kind).
// Refuses (nmflow::Error naming points.train and points.validation) a run whose point sets alone cannot fit in
// memory, before any sampling (common/memory_budget.h).
void check_cy_points_fit(const Hypersurface& surface, const CYPointsConfig& points);

CYPointSet sample_train_points(const Hypersurface& surface, const CYPointsConfig& points, uint64_t seed);
CYPointSet sample_validation_points(const Hypersurface& surface, const CYPointsConfig& points, uint64_t seed);

// The root attributes every CY run file carries (kind, variety, ψ, dimension, point counts, quick, status) and the
// provenance (io/provenance.h); each kind adds its own. variety, points: the sections of config's kind.
void write_cy_run_attributes(Hdf5File& file, const ExperimentConfig& config, const VarietyConfig& variety,
                             const CYPointsConfig& points, const ExperimentRunOptions& options,
                             const Hypersurface& surface, const std::string& status);

// The epoch loop of a CY training kind (its optimizer and training sections and the config's seed; the cosine
// schedule spans the whole run unless optimizer.schedule_steps says otherwise). Checkpoint, resume and stop are left
// to the runner.
CYEpochOptions cy_epoch_options(const OptimizerConfig& optimizer, const CYTrainingConfig& training, uint64_t seed,
                                int64_t steps_per_epoch);

// The /epochs rows a resumed CY run keeps from `output`: `epoch`, `steps` and each of `reals`, [n] each, for the
// records up to the checkpoint's epoch (rows an interrupted run wrote after its last checkpoint are dropped and
// recomputed). `kind` names the run file in the error when it has no /epochs.
std::map<std::string, at::Tensor> kept_epoch_rows(const std::string& output, int64_t checkpoint_epoch,
                                                  const std::vector<std::string>& reals, const std::string& kind);

// What a resumed CY run with /epochs records continues from: the epoch of its checkpoint (the `cy_epoch` attribute
// run_cy_epochs writes) and the run file's rows up to it; a fresh run gets epoch 0 and no rows.
struct CYEpochResume {
  int64_t checkpoint_epoch = 0;
  std::map<std::string, at::Tensor> kept;
};
CYEpochResume cy_epoch_resume(const RunLifecycle& lifecycle, const std::string& output,
                              const std::vector<std::string>& reals, const std::string& kind);

// Creates the run file of a CY kind with /epochs records: extendible epochs/epoch, epochs/steps (int64) and
// epochs/<real> (float64) datasets, [N, 1] each, and `resumed_from_epoch` when the run resumes one.
Hdf5File create_cy_epoch_file(const std::string& output, const std::vector<std::string>& reals,
                              const CYEpochResume& resume);

// The curvature measures of one metric on the curvature points (geometry/kahler/cy_curvature.h).
struct CYCurvatureSummary {
  double sigma = 0.0;  // σ on the curvature points
  double ricci_measure = 0.0;
  double max_abs_ricci_scalar = 0.0;
  double mean_abs_ricci_scalar = 0.0;  // volume average of |R_K|
  double euler_characteristic = 0.0;
  double euler_standard_error = 0.0;
};

struct CYExperimentSummary {
  int64_t epochs_done = 0;
  int64_t total_epochs = 0;
  int64_t steps_done = 0;
  int64_t steps_per_epoch = 0;
  bool interrupted = false;
  double sigma_initial = 0.0;   // σ of Fubini–Study (epoch 0) on the validation points
  double sigma_final = 0.0;     // σ of the trained model there
  double kappa_final = 0.0;
  double train_loss_final = 0.0;  // NaN when no epoch ran
  double wall_seconds = 0.0;      // training time (evaluations excluded)
  int64_t records = 0;            // entries of /epochs
  int64_t resumed_from_epoch = 0;  // > 0: the run continued a checkpoint taken after this epoch
  bool has_curvature = false;     // set only with measures.curvature
  CYCurvatureSummary curvature;   // of the trained metric
  bool has_fubini_study = false;  // set only with measures.fubini_study
  CYCurvatureSummary fubini_study;  // of g_FS on the same points
  double curvature_seconds = 0.0;   // wall time of the curvature measures (both metrics)
};

// Builds everything, trains, writes options.output (and its checkpoint). Throws nmflow::Error (config.kind must be
// cy_metric; with options.resume, the checkpoint and the run file must exist).
// Progress: one RunProgress per evaluation (unit "epoch"); stop_requested is checked at every evaluation, and a
// stopped run still writes /final.
CYExperimentSummary run_cy_experiment(const ExperimentConfig& config, const ExperimentRunOptions& options,
                                      const RunHooks& hooks = {});

// The registry's entry (experiment_registry.h).
ExperimentKind cy_metric_kind();

}  // namespace nmflow
