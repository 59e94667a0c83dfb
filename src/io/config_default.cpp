// The embedded default experiment of `nmflow run` (printed by `nmflow config --print-default`).
#include "io/config_yaml.h"

namespace nmflow {

const std::string& default_config_text() {
  static const std::string text = R"(# nmflow default experiment: a randomly perturbed round S^2, g = e^{2u} g_round with u a small
# tanh network, flowed by Adam on the Einstein loss (plus a volume penalty) back to constant curvature.
# Every key is documented in docs/config.md.
kind: real_metric_flow
seed: 3
device: cpu
dtype: float64
threads: 0
manifold:
  name: round_sphere
  params: {dim: 2, radius: 1}
points:
  train: 256
  probe: 64
  resample_every: 0
model:
  head: conformal
  background: reference
  hidden: [24]
  activation: tanh
  parameterisation: ntk
  sigma_w: 0.8
  sigma_b: 0.1
  init_scale: 1.0
loss:
  name: einstein
  params: {volume_weight: 1.0, volume_target: 12.566370614359172}
  curvature_backend: fused
optimizer:
  name: adam
  lr: 0.01
  schedule: cosine
  min_lr: 0.001
  schedule_steps: 300
  clip: 0
  steps: 300
recording:
  every: 10
  output: nmflow_run.h5
  checkpoint_every: 100
)";
  return text;
}

}  // namespace nmflow
