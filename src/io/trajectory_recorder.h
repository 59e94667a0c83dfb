#pragma once
// TrajectoryRecorder: the per-step records of a metric-flow run in HDF5 (docs/hdf5.md, "Trajectories"). Every
// record is appended to extendible datasets under /trajectory and the file is flushed after it, so a run killed at
// any moment leaves a readable file holding every record written before the kill.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "io/hdf5_file.h"

namespace nmflow {

struct TrajectoryRecord {
  int64_t steps_done = 0;      // optimiser steps taken when g, Ric and R were observed
  double time = 0.0;           // flow time t = Σ η after those steps
  double learning_rate = 0.0;  // η of the last step
  double loss = 0.0;           // loss at the parameters before the last step
  double grad_norm = 0.0;      // its gradient's global 2-norm (before clipping)
  std::vector<std::pair<std::string, double>> terms;  // the loss's named terms before the last step
  at::Tensor g;       // [P, n, n] metric at the probe points after the step
  at::Tensor ricci;   // [P, n, n] Ricci tensor R_ij
  at::Tensor scalar;  // [P]       scalar curvature R
};

// NTK diagnostics of one step (experiments/ntk_recording.h), appended under /ntk (docs/hdf5.md).
struct NtkRecord {
  int64_t steps_done = 0;
  double time = 0.0;            // flow time t = Σ η
  double relative_drift = 0.0;  // ‖Θ_t − Θ_0‖_F / ‖Θ_0‖_F
  double nonlocal_mass = 0.0;   // ntk_diagnostics.h
  at::Tensor top_eigenvalues;   // [k] descending, float64
};

// One record of the comparison with a reference flow (experiments/ricci_flow_comparison.h), appended under
// /compare (docs/hdf5.md).
struct CompareRecord {
  int64_t steps_done = 0;
  std::vector<std::pair<std::string, double>> values;  // named scalars, the same names in the same order each time
  at::Tensor reference_g;       // [P, n, n] the reference metric at the probe points
  at::Tensor reference_scalar;  // [P]       its scalar curvature
};

class TrajectoryRecorder {
 public:
  // Creates `path`, replacing any existing file.
  static TrajectoryRecorder create(const std::string& path);
  // Continues the trajectory in `path` after a checkpoint taken at `keep_until` steps: the file is rewritten with
  // the datasets in `static_datasets` (those present) and the records with steps_done ≤ keep_until, so records
  // written after the checkpoint by the interrupted run are dropped and recomputed (/ntk and /compare rows likewise).
  static TrajectoryRecorder resume(const std::string& path, int64_t keep_until,
                                   const std::vector<std::string>& static_datasets);

  Hdf5File& file() { return file_; }
  // Appends one record (creating the datasets at the first one; the term names must not change) and flushes.
  void record(const TrajectoryRecord& record);
  int64_t record_count() const;
  // Appends one row to /ntk/{step, flow_time, relative_drift, nonlocal_mass} ([N]) and /ntk/top_eigenvalues
  // ([N, k]; k must not change) and flushes.
  void record_ntk(const NtkRecord& record);
  // Appends one row to /compare/step and /compare/<name> ([N, 1]), /compare/reference_g ([N, P, n, n]) and
  // /compare/reference_scalar ([N, P]), creating them at the first record (the names, kept in the attribute
  // value_names, must not change), and flushes.
  void record_compare(const CompareRecord& record);
  int64_t compare_count() const;

 private:
  explicit TrajectoryRecorder(Hdf5File file);
  void create_datasets(const TrajectoryRecord& record);

  Hdf5File file_;
  std::vector<std::string> term_names_;
};

}  // namespace nmflow
