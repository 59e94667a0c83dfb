#pragma once
// A neural metric with a random trunk for the metric-NTK tests: σ_w = 1.3, σ_b = 0.4 (activations used well outside
// their linear range); with the frame_exp head a non-orthogonal frame, so the head Jacobian mixes components.
#include <cstdint>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "models/neural_metric.h"

namespace nmflow::test {

inline NeuralMetric random_metric(MetricHeadKind kind, int64_t n, std::vector<int64_t> hidden, Activation activation,
                                  Parameterisation parameterisation, uint64_t seed,
                                  at::ScalarType dtype = at::kDouble) {
  MlpConfig trunk;
  trunk.input_dim = n;
  trunk.hidden = std::move(hidden);
  trunk.activation = activation;
  trunk.parameterisation = parameterisation;
  trunk.sigma_w = 1.3;
  trunk.sigma_b = 0.4;
  trunk.seed = seed;
  trunk.dtype = dtype;
  MetricHead head;
  head.kind = kind;
  head.dim = n;
  if (kind == MetricHeadKind::FrameExponential) {
    head.reference = (at::eye(n, at::kDouble) + 0.3 * at::ones({n, n}, at::kDouble).triu(1)).to(dtype);
  }
  return NeuralMetric(trunk, head);
}

}  // namespace nmflow::test
