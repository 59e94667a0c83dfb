#pragma once
// Structured empirical metric-NTK for an Mlp trunk (Novak et al., arXiv:2206.08720 §"structured derivatives";
// nngeometry's LinearJacobianFactory.kxy): the parameter Jacobian is never formed.
//
// Layer l computes z_l = s_w W_l h_{l−1} + s_b b_l with (s_w, s_b) = (σ_w/√n_{l−1}, σ_b) in the NTK
// parameterisation and (1, 1) in the standard one (models/mlp.cpp: Layer::weight_scale, bias_scale). Then
// ∂g_P/∂W_l[i,j] = s_w δ_l^P[i] h_{l−1}[j] and ∂g_P/∂b_l[i] = s_b δ_l^P[i], δ_l^P = ∂g_P/∂z_l, so
//   Θ_PQ(x, x') = Σ_l [ s_w² h_{l−1}(x)·h_{l−1}(x') + s_b² ] · ( δ_l^P(x)·δ_l^Q(x') ),
// which is docs/design.md §5's (σ_w²/n_{l−1}) h·h' + σ_b² in the NTK parameterisation and h·h' + 1 in the standard
// one. δ is carried backwards through the layers for all p components at once as a batched GEMM,
// δ_{l−1} = (s_w δ_l W_l) ⊙ φ'(z_{l−1}), starting from δ_L = ∂g/∂f, the head's Jacobian at each point (constant
// for the linear symmetric head; any head works because the empirical kernel only needs the chain rule).
// Cost per layer: one [B, n_{l−1}]×[n_{l−1}, B'] GEMM and one [B·p, n_l]×[n_l, B'·p] GEMM; memory O(output +
// (B + B')·p·width), about a factor width below the Jacobian contraction.
#include <vector>

#include <ATen/core/Tensor.h>

#include "models/neural_metric.h"

namespace nmflow {

// The per-layer factors of Θ at a set of points x: [B, n], one entry per dense layer l of the trunk:
//   inputs[l]: [B, n_{l−1}]  h_{l−1}(x_b) (h_0 = x),
//   deltas[l]: [B, p, n_l]   δ_l^P(x_b) = ∂g_P/∂z_l.
// Detached, contiguous, on x's device. Shared by the GEMM path below and the fused tile kernel (fused_ntk.h).
struct StructuredLayerFactors {
  std::vector<at::Tensor> inputs;
  std::vector<at::Tensor> deltas;
};
StructuredLayerFactors structured_layer_factors(const NeuralMetric& model, const at::Tensor& x);

// x: [B, n], x2: [B', n] → Θ: [B·p, B'·p], layout and sum convention of ntk/empirical_ntk.h. Detached.
at::Tensor structured_metric_ntk(const NeuralMetric& model, const at::Tensor& x, const at::Tensor& x2);

}  // namespace nmflow
