#pragma once
// The 2-jet of any pointwise metric function by nested reverse-mode autograd: the baseline that the
// closed-form jets, the forward-mode network jets and the benchmarks are measured against.
#include <functional>

#include "geometry/metric_jet.h"

namespace nmflow {

// x: [B, n]; metric_fn maps x to g: [B, n, n] pointwise (row b of g depends on row b of x only) and must return
// SYMMETRIC matrices: only the entries i ≤ j are differentiated and mirrored, so a non-symmetric function gets
// a wrong jet without any error.
// Cost: n(n+1)/2 first-order backward passes and n·n(n+1)/2 second-order ones. With create_graph the
// returned jet stays differentiable (e.g. to network parameters).
MetricJet jet_by_autograd(const std::function<at::Tensor(const at::Tensor&)>& metric_fn, const at::Tensor& x,
                          bool create_graph = false);

}  // namespace nmflow
