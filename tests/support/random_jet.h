#pragma once
// Random metric 2-jets for curvature tests (CPU and CUDA suites share them).
#include <ATen/ATen.h>

#include "geometry/metric_jet.h"

namespace nmflow::test {

// Projection onto jets with the symmetries of a metric jet: g and dg symmetric in (i,j), d2g in (c,d) and (i,j).
// Applied to gradients it gives the symmetric-parametrisation gradient the fused backward returns.
inline MetricJet symmetrize(const MetricJet& v) {
  const at::Tensor d2g = 0.5 * (v.d2g + v.d2g.transpose(1, 2));
  return MetricJet{0.5 * (v.g + v.g.transpose(1, 2)), 0.5 * (v.dg + v.dg.transpose(2, 3)),
                   0.5 * (d2g + d2g.transpose(3, 4))};
}

// g = A Aᵀ + n I (SPD, condition number O(10)); dg, d2g standard normal, then symmetrised. CPU, float64.
inline MetricJet random_jet(int64_t batch, int64_t n) {
  const at::Tensor a = at::randn({batch, n, n}, at::kDouble);
  const at::Tensor g = at::matmul(a, a.transpose(1, 2)) + static_cast<double>(n) * at::eye(n, at::kDouble);
  const MetricJet raw{g, at::randn({batch, n, n, n}, at::kDouble), at::randn({batch, n, n, n, n}, at::kDouble)};
  return symmetrize(raw);
}

// The same jet as leaf tensors requiring gradients.
inline MetricJet requiring_grad(const MetricJet& jet) {
  return MetricJet{jet.g.detach().requires_grad_(true), jet.dg.detach().requires_grad_(true),
                   jet.d2g.detach().requires_grad_(true)};
}

}  // namespace nmflow::test
