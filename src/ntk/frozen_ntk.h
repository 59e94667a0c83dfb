#pragma once
// Frozen (infinite-width) kernels of an Mlp in the NTK parameterisation (docs/design.md §5; Jacot–Gabriel–Hongler;
// Lee et al. 2019, the recursion neural-tangents implements).
//
// Input K⁰ = x·x'/d_in, Θ⁰ = 0. Every dense layer (the first, each hidden one and the linear readout), with the
// network's one σ_w and σ_b (MlpConfig: defaults 1.0 and 0.1, used for all layers alike as in models/mlp.cpp):
//   K^{l+1} = σ_w² K̃^l + σ_b²,   Θ^{l+1} = K^{l+1} + σ_w² Θ^l K̇^l,
// with K̃, K̇ = E[φ(u)φ(u')], E[φ'(u)φ'(u')] over (u,u') ~ N(0, [[K11,K12],[K12,K22]]) for hidden layers and
// K̃ = K⁰, Θ^0 = 0 before the first dense layer (no activation on the input). The K^{l+1} term of Θ^{l+1} is the
// gradient w.r.t. that layer's own W and b, so the readout's contribution is included exactly as in the empirical
// sum over all parameters. Closed forms: relu, erf, sin, cos (dual_activation_kernels); tanh/gelu/softplus have
// none and are rejected.
//
// Output head. The trunk's outputs are independent in the limit, Θ^f_oo' = δ_oo' Θ^∞. The symmetric head is
// linear, g_ij = g_ref + w_ij f_{p(i,j)} with w = 1 (i = j), 1/√2 (i ≠ j), so in the packed layout
//   Θ^∞_PQ(x,x') = Θ^∞(x,x') T_PQ,  T_PQ = (δ_ik δ_jl + δ_il δ_jk)/2 = δ_PQ (1 if i = j, ½ if i < j)
// — the limit computed here. Nonlinear heads (free_spd, conformal, frame_exp) keep a random ∂g/∂f at finite
// width; their limit is deterministic only after linearising about the initial metric, which is not provided.
#include <ATen/core/Tensor.h>

#include "models/activation.h"
#include "models/mlp.h"
#include "models/neural_metric.h"

namespace nmflow {

// Gaussian expectations of the activation for the layer recursion. k11, k22, k12: broadcastable tensors
// (variances of u and u', covariance) → {K̃, K̇} of the broadcast shape.
//   relu: θ = arccos(K12/√(K11K22)); K̃ = √(K11K22)(sin θ + (π−θ) cos θ)/(2π); K̇ = (π−θ)/(2π)   (Cho–Saul)
//   erf:  K̃ = (2/π) arcsin(2K12/√((1+2K11)(1+2K22))); K̇ = (4/π)/√((1+2K11)(1+2K22) − 4K12²)   (Williams)
//   sin:  s± = exp(−(K11+K22)/2 ± K12); K̃ = (s₊ − s₋)/2; K̇ = (s₊ + s₋)/2; cos: the same with s₋ ↦ −s₋.
struct DualKernels {
  at::Tensor value;       // K̃ = E[φ(u)φ(u')]
  at::Tensor derivative;  // K̇ = E[φ'(u)φ'(u')]
};
DualKernels dual_activation_kernels(Activation activation, const at::Tensor& k11, const at::Tensor& k22,
                                    const at::Tensor& k12);

struct FrozenKernels {
  at::Tensor nngp;  // [B, B'] K^L(x, x') of each output
  at::Tensor ntk;   // [B, B'] Θ^∞(x, x') of each output
};

// config: NTK parameterisation, activation relu/erf/sin/cos (throws otherwise). x: [B, d_in], x2: [B', d_in].
FrozenKernels frozen_mlp_kernels(const MlpConfig& config, const at::Tensor& x, const at::Tensor& x2);

// The frozen metric-NTK of a NeuralMetric with the symmetric head: [B·p, B'·p] in the layout of
// ntk/empirical_ntk.h, Θ^∞ ⊗ T (see above). Throws for other heads.
at::Tensor frozen_metric_ntk(const NeuralMetric& model, const at::Tensor& x, const at::Tensor& x2);

}  // namespace nmflow
