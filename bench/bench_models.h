#pragma once
// The network the jet, curvature and GPU benchmarks and the peer cases share: a 3×64 tanh MLP metric on n
// coordinates, g = I + P(f) (symmetric head around the identity), float64.
#include <ATen/ATen.h>

#include <cstdint>

#include "models/neural_metric.h"

namespace nmflow::bench {

inline NeuralMetric symmetric_mlp_metric(int64_t n, uint64_t seed = 1) {
  MlpConfig trunk;
  trunk.input_dim = n;
  trunk.hidden = {64, 64, 64};
  trunk.activation = Activation::Tanh;
  trunk.seed = seed;
  MetricHead head;
  head.kind = MetricHeadKind::Symmetric;
  head.dim = n;
  head.reference = at::eye(n, at::kDouble);
  return NeuralMetric(trunk, head);
}

}  // namespace nmflow::bench
