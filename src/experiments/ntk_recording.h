#pragma once
// NTK diagnostics of a real_metric_flow run (docs/design.md §5; config keys recording.ntk_*, docs/config.md): the
// empirical metric-NTK Θ_t of the network on the first ntk_probes probe points (ntk/empirical_ntk.h,
// kDefaultNtkMethod), compared with Θ_0 (ntk/ntk_diagnostics.h) and appended under /ntk (docs/hdf5.md).
#include <cstdint>

#include <ATen/core/Tensor.h>

#include "io/config_schema.h"
#include "io/trajectory_recorder.h"
#include "models/neural_metric.h"

namespace nmflow {

class NtkRecording {
 public:
  // initial: the network at its initial parameters (Θ_0 is taken now); probe_x: [P, n], P ≥ c.ntk_probes.
  NtkRecording(const RecordingConfig& c, const NeuralMetric& initial, const at::Tensor& probe_x);

  // Whether step `steps_done` of a run of `total` steps gets an NTK row: off when ntk_every = 0, else step 0,
  // the last step and the recorded steps (multiples of `every`) that are multiples of ntk_every.
  bool due(int64_t steps_done, int64_t total) const;

  // The diagnostics of `model` (the same network, trained for steps_done steps to flow time `time`).
  NtkRecord measure(const NeuralMetric& model, int64_t steps_done, double time) const;

 private:
  RecordingConfig config_;
  at::Tensor x_;        // [ntk_probes, n]
  at::Tensor theta_0_;  // [ntk_probes·p, ntk_probes·p]
};

}  // namespace nmflow
