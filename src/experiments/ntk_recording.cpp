#include "experiments/ntk_recording.h"

#include <ATen/ATen.h>

#include "common/error.h"
#include "ntk/empirical_ntk.h"
#include "ntk/ntk_diagnostics.h"

namespace nmflow {

NtkRecording::NtkRecording(const RecordingConfig& c, const NeuralMetric& initial, const at::Tensor& probe_x)
    : config_(c) {
  if (c.ntk_every == 0) return;
  NMFLOW_CHECK(probe_x.dim() == 2 && probe_x.size(0) >= c.ntk_probes, "recording.ntk_probes = ", c.ntk_probes,
               " needs that many probe points, got ", probe_x.sizes());
  x_ = probe_x.slice(0, 0, c.ntk_probes);
  theta_0_ = empirical_metric_ntk(initial, x_, x_, kDefaultNtkMethod);
}

bool NtkRecording::due(int64_t steps_done, int64_t total) const {
  if (config_.ntk_every == 0) return false;
  if (steps_done == 0 || steps_done == total) return true;
  return steps_done % config_.every == 0 && steps_done % config_.ntk_every == 0;
}

NtkRecord NtkRecording::measure(const NeuralMetric& model, int64_t steps_done, double time) const {
  NMFLOW_CHECK(theta_0_.defined(), "NTK recording is off (recording.ntk_every = 0)");
  const at::Tensor theta = empirical_metric_ntk(model, x_, x_, kDefaultNtkMethod);
  const int64_t components = theta.size(0) / x_.size(0);  // p = n(n+1)/2
  NtkRecord record;
  record.steps_done = steps_done;
  record.time = time;
  record.relative_drift = ntk_relative_drift(theta, theta_0_);
  record.nonlocal_mass = ntk_nonlocal_mass(theta, components);
  record.top_eigenvalues = ntk_top_eigenvalues(theta, config_.ntk_eigenvalues).to(at::kCPU, at::kDouble);
  return record;
}

}  // namespace nmflow
