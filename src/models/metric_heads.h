#pragma once
// Metric heads: maps from network outputs f (and their 2-jet) to a metric g (and its MetricJet).
//   free_spd   g = L Lᵀ + ε I, L lower-triangular with L_ij = f_{p(i,j)} (i ≥ j); p = n(n+1)/2 outputs.
//   symmetric  g = g_ref + P(f), g_ref a constant symmetric matrix (zero by default); p outputs.
//   conformal  g = e^{2u} ĝ, u = f_0 the single output, ĝ a constant SPD matrix (identity by default).
//   frame_exp  g = e₀ᵀ exp(P(f)) e₀, e₀ a constant invertible frame (identity by default); p outputs
//              (docs/design.md §4: the network outputs the metric in its own frame).
// P(f) places the packed outputs (models/symmetric_packing.h) into a symmetric matrix with weight 1 on the
// diagonal and 1/√2 off it: P(f)_ij = f_{p(i,j)} (i = j), f_{p(i,j)}/√2 (i ≠ j). Then
// Σ_p ∂P_ij/∂f_p ∂P_kl/∂f_p = (δ_ik δ_jl + δ_il δ_jk)/2 — the same as sym(A) = (A + Aᵀ)/2 of a full matrix A of
// independent outputs, so the frozen NTK of the symmetric head is Θ^∞ (δ_ik δ_jl + δ_il δ_jk)/2 (docs/design.md §5)
// and that of frame_exp at S = 0 is Θ^∞ (G_ik G_jl + G_il G_jk)/2 with G = e₀ᵀ e₀ (the K = g g kernel of §4).
#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>

#include "common/config_enums.h"
#include "geometry/metric_jet.h"
#include "models/mlp_jet.h"

namespace nmflow {

// MetricHeadKind and its name table: common/config_enums.h.

// "free_spd" | "symmetric" | "conformal" | "frame_exp"; throws nmflow::Error naming the allowed values.
MetricHeadKind parse_metric_head(const std::string& name);
std::string metric_head_name(MetricHeadKind kind);

struct MetricHead {
  MetricHeadKind kind = MetricHeadKind::Symmetric;
  int64_t dim = 0;       // n
  at::Tensor reference;  // [n, n] g_ref (symmetric), ĝ (conformal) or e₀ (frame_exp); undefined = default above
  double epsilon = 1e-6;  // free_spd only
};

void check_metric_head(const MetricHead& head);

// Number of network outputs the head reads: n(n+1)/2, or 1 for conformal.
int64_t head_output_dim(MetricHeadKind kind, int64_t n);

// f: [B, O] network outputs → g: [B, n, n]. Differentiable (the nested-autograd baseline goes through it).
at::Tensor metric_from_outputs(const MetricHead& head, const at::Tensor& f);

// The metric 2-jet from the 2-jet of the outputs (Leibniz / chain rule; jet_matrix_exp for frame_exp).
MetricJet metric_jet_from_outputs(const MetricHead& head, const MlpJet2& f);

// The same from the packed 2-jet [B, 1 + M, O] of mlp_jet2_packed: the placed matrix's g, ∂g, ∂²g are gathered
// straight from the packed rows (one index_select and one scale each) rather than through the full [B, O, n, n]
// derivative tensors, which at n = 6 cost more than the head itself (docs/BENCHMARKS.md, Jets).
MetricJet metric_jet_from_packed(const MetricHead& head, const at::Tensor& packed);

}  // namespace nmflow
