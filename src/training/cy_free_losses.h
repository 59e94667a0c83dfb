#pragma once
// Losses of the free (non-φ) CY metric models (models/free_cy_metric.h; docs/design.md §3; docs/cy_training.md,
// "Free metric models"). Besides Monge–Ampère (cy_losses.h), a free model needs
//   Kähler      L_K = mean_b Σ_{a,i,j} |∂_a g_ij̄ − ∂_i g_aj̄|²   (unweighted mean over the points, i.e. over the
//               sampling measure J_FS^m/m!; every ordered pair (a, i) counted, so each antisymmetric component twice;
//               zero iff dω = 0 for ω = i g_ab̄ dx^a ∧ dx̄^b — the ∂̄ half is the conjugate condition);
//   transition  L_T = mean_{b, r} (1/m²) Σ_ij |g'_ij̄ − (J g J†)_ij̄|²   over every point b and each of its m other
//               charts r (patch_transitions: k' ∉ {k, e}, e' = e), g the model in the point's own chart, g' the
//               model evaluated in chart r, J = ∂x/∂x' (geometry/kahler/patch_transition.h). J has entries
//               ≤ O(1) because |z_k'| ≤ |z_k| = 1, so the residual is measured on the scale of the good chart.
// Both are zero for any globally defined Kähler metric (g_FS, the φ-model with invariant inputs; tested).
#include <ATen/core/Tensor.h>

#include "training/cy_losses.h"
#include "training/losses.h"
#include "geometry/kahler/cy_point_set.h"
#include "geometry/kahler/hypersurface.h"
#include "models/free_cy_metric.h"

namespace nmflow {

// dg: [B, m, m, m] complex128, dg[b, a, i, j] = ∂_a g_ij̄. Terms: kahler.
LossValue kahler_loss(const at::Tensor& dg);

// g_alternative: [R, m, m] (the model in the other charts); g: [R, m, m] (the model in the point's own chart, one
// row per transition); jacobian: [R, m, m] (J[r, c, a] = ∂x_a/∂x'_c). All complex128. Terms: transition.
LossValue transition_loss(const at::Tensor& g_alternative, const at::Tensor& g, const at::Tensor& jacobian);

// Everything a free model's losses read at each point, computed once per point set (data: no parameters).
struct FreeMetricData {
  at::Tensor input_jet;     // [B, 1 + 2m, n_in] model dtype: network inputs, Re ∂_a and Im ∂_a of them
  at::Tensor g_fs;          // [B, m, m] complex128
  at::Tensor dg_fs;         // [B, m, m, m] complex128  ∂_a g_FS,ij̄ (holomorphic_derivative_by_autograd)
  at::Tensor omega_sq;      // [B] float64
  at::Tensor weights;       // [B] float64
  at::Tensor alt_inputs;    // [B, m, n_in] model dtype: network inputs of the point in its m other charts
  at::Tensor alt_g_fs;      // [B, m, m, m] complex128: g_FS in those charts
  at::Tensor jacobian;      // [B, m, m, m] complex128: J from the own chart to each other chart

  int64_t size() const { return g_fs.size(0); }
  FreeMetricData select(const at::Tensor& index) const;  // index: [b] int64 rows
};

// points: make_cy_point_set / sample_cy_points of `surface` with modulus t.
FreeMetricData prepare_free_metric_data(const Hypersurface& surface, const CYPointSet& points, PhiInputs inputs,
                                        at::ScalarType dtype, double t = 1.0);

// α_K, α_T and the Monge–Ampère weighting and κ source of the total loss L = L_MA + α_K L_K + α_T L_T.
struct FreeLossWeights {
  double kahler = 1.0;
  double transition = 1.0;
  MongeAmpereWeighting weighting = MongeAmpereWeighting::Weighted;
  MongeAmpereKappa kappa = MongeAmpereKappa::TrainingSet;  // Batch: κ_b of the minibatch replaces `kappa`
};

// The total loss on `data` (a minibatch), differentiable in the model's parameters. κ: fubini_study_kappa of the
// training set. Terms: monge_ampere, then kahler and transition when their α > 0 (unscaled by α).
LossValue free_metric_loss(const FreeCYMetric& model, const FreeMetricData& data, double kappa,
                           const FreeLossWeights& weights);

}  // namespace nmflow
