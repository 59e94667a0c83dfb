#pragma once
// NeuralMetric: an Mlp trunk followed by a metric head — the neural MetricModel of docs/design.md §1. Its jet is the
// forward-mode Taylor jet of the trunk pushed through the head (no nested autograd).
#include <vector>

#include <ATen/core/Tensor.h>

#include "geometry/metric_jet.h"
#include "models/metric_heads.h"
#include "models/mlp.h"

namespace nmflow {

class NeuralMetric {
 public:
  // trunk.input_dim must be head.dim (coordinates in, metric on the same chart out); trunk.output_dim is set
  // from the head (n(n+1)/2 or 1) when 0 and must match it otherwise.
  NeuralMetric(MlpConfig trunk, MetricHead head);

  at::Tensor metric(const at::Tensor& x) const;  // x: [B, n] → g: [B, n, n]
  MetricJet jet(const at::Tensor& x) const;      // x: [B, n] → (g, ∂g, ∂²g), differentiable in the parameters

  std::vector<at::Tensor> parameters() const { return trunk_.parameters(); }
  const Mlp& trunk() const { return trunk_; }
  Mlp& trunk() { return trunk_; }
  const MetricHead& head() const { return head_; }

 private:
  static MlpConfig with_head_outputs(MlpConfig trunk, const MetricHead& head);

  MetricHead head_;
  Mlp trunk_;
};

}  // namespace nmflow
