#pragma once
// Fubini–Study metric (docs/design.md §3; conventions in docs/kahler.md). Kähler modulus t (1 by default):
//   on P^N, homogeneous z ∈ C^{N+1}: K = (t/π) log|z|², G_IJ̄ = ∂_I∂_J̄ K = (t/π)(|z|² δ_IJ − z̄_I z_J)/|z|⁴;
//   on CP^m in the affine chart w ∈ C^m: K = (t/π) log(1 + |w|²),
//                                        g_ij̄ = (t/π)[δ_ij/(1+|w|²) − w̄_i w_j/(1+|w|²)²].
// Matrices are stored [.., i, j] = g_ij̄ (row: holomorphic index, column: antiholomorphic index).
// Real coordinates are x = (Re w_1..Re w_m, Im w_1..Im w_m).
#include <ATen/core/Tensor.h>

namespace nmflow {

// z: [B, N+1] complex128 → G: [B, N+1, N+1] complex128 with G[b, I, J] = G_IJ̄.
at::Tensor fubini_study_ambient(const at::Tensor& z, double t = 1.0);

// w: [B, m] complex128 → g: [B, m, m] complex128 with g[b, i, j] = g_ij̄ (closed form above).
at::Tensor fubini_study_affine(const at::Tensor& w, double t = 1.0);

// x: [B, 2m] float64 → K(x) = (t/π) log(1 + |w|²): [B]. Differentiable (for the Kähler curvature reference).
at::Tensor fubini_study_potential(const at::Tensor& x, double t = 1.0);

// x: [B, 2m] float64 → the real metric ds² = 2 g_ij̄ dw^i dw̄^j on (Re w, Im w): [B, 2m, 2m], written with real
// ops so that jet_by_autograd can differentiate it (the real-curvature side of the Kähler cross-check).
at::Tensor fubini_study_real_metric(const at::Tensor& x, double t = 1.0);

}  // namespace nmflow
