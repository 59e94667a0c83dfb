#include "models/benchmark_metric.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

namespace nmflow {

NeuralMetric benchmark_metric(int64_t n, const std::vector<int64_t>& hidden, uint64_t seed) {
  MlpConfig trunk;
  trunk.input_dim = n;
  trunk.hidden = hidden;
  trunk.activation = Activation::Tanh;
  trunk.seed = seed;
  MetricHead head;
  head.kind = MetricHeadKind::Symmetric;
  head.dim = n;
  head.reference = at::eye(n, at::kDouble);
  NeuralMetric model(trunk, head);
  const at::NoGradGuard no_grad;
  model.trunk().layers().back().weight.mul_(0.1);
  model.trunk().layers().back().bias.mul_(0.1);
  return model;
}

}  // namespace nmflow
