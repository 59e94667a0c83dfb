#pragma once
// Curvature of a Kähler metric on a Calabi–Yau hypersurface X ⊂ P^N (docs/design.md §3; derivation and conventions in
// docs/kahler.md, "Curvature of CY metrics"): the full curvature tensor in the local coordinates of each point's
// patch, the Kähler Ricci and scalar curvature, the top Chern form c_m and the Monte-Carlo Euler characteristic
// χ = ∫_X c_m (Chern–Gauss–Bonnet), and the Ricci measure of the peers.
//
// Local holomorphic coordinates at a base point z⁰ (CYPointSet: patch k, eliminated e, kept I_a):
//   z_k = 1, z_{I_a} = x_a = x⁰_a + δx_a, z_e(x) by 3 Newton steps on p(z) = 0 from z_e⁰, δx = u_re + i u_im.
// The Newton iterate is exact to order 2³ − 1 = 7 in δx, so every derivative used here (≤ 2 of g, i.e. ≤ 4 of K)
// is exact at δx = 0. The metric at a moved point, g_ab̄(δx) = P(δx) (G_FS + ∂∂̄φ)(z(δx)) P(δx)†, is differentiated
// twice by nested autograd in the 2m real coordinates u:
//   R_ab̄cd̄ = −∂_c∂_d̄ g_ab̄ + g^{pq̄} ∂_c g_aq̄ ∂_d̄ g_pb̄,
//   Ric_cd̄ = −∂_c∂_d̄ log det g = g^{bā} R_ab̄cd̄,  R_K = g^{dc̄} Ric_cd̄ (Kähler trace; Riemannian scalar 2 R_K),
//   curvature endomorphism Θ^a_b = M[a, b, c, d] dw^c∧dw̄^d, M[a, b, c, d] = (G⁻¹ R_{··cd̄})[a, b] (tr M = Ric),
//   c_m = det((i/2π) Θ) = π^{−m} D d^{2m}x,  D = Σ_{σ,γ,δ ∈ S_m} sgn σ sgn γ sgn δ Π_j M[j, σ_j, γ_j, δ_j],
//   since ∧_j dw^{γ_j}∧dw̄^{δ_j} = sgn γ sgn δ (−2i)^m d^{2m}x. The Kähler modulus t is read off points.g_fs.
#include <cstdint>
#include <functional>

#include <ATen/core/Tensor.h>

#include "geometry/kahler/cy_point_set.h"
#include "geometry/kahler/hypersurface.h"

namespace nmflow {

// A Kähler potential correction φ on X, as much of it as the curvature needs: ∂_a∂_b̄φ in each point's chart.
// ddbar(z, pullback, patch): z [B, N+1] complex128 on X, pullback [B, m, N+1] complex128 (P_a^I = ∂z_I/∂x_a),
// patch [B] int64 → [B, m, m] complex128, differentiable in z and the pullback. An empty `ddbar` is φ = 0 (the
// Fubini–Study metric itself). models/kahler_phi_model.h makes one from a φ-model (phi_model_potential).
struct KahlerPotential {
  std::function<at::Tensor(const at::Tensor& z, const at::Tensor& pullback, const at::Tensor& patch)> ddbar;
  int64_t n_coords = 0;  // the homogeneous coordinates φ is defined on (checked against the surface)
};

// Pointwise curvature of g = g_FS (an empty potential) or g_FS + ∂∂̄φ at every point.
struct CYPointwiseCurvature {
  at::Tensor metric;         // [B, m, m] complex128  g_ab̄ recomputed at δx = 0 (equals points.g_fs + ∂∂̄φ)
  at::Tensor riemann;        // [B, m, m, m, m] complex128  [b, a, b', c, d] = R_ab̄'cd̄ (all indices down)
  at::Tensor ricci;          // [B, m, m] complex128  [b, c, d] = Ric_cd̄ = −∂_c∂_d̄ log det g
  at::Tensor ricci_scalar;   // [B] float64  R_K = g^{dc̄} Ric_cd̄ (Kähler trace, as cymetric's Ricci measure uses)
  at::Tensor euler_density;  // [B] float64  c_m / (J^m/m!) = D/(π^m det g), J = (i/2) g dw∧dw̄
  at::Tensor det_g;          // [B] float64  det g_ab̄
};

// chunk: points per autograd pass. Each point is replicated m² times inside a pass (one copy per real component of
// g), so memory grows with chunk · m², and large passes also run slower (their temporaries are faulted in afresh):
// `nmflow run configs/quintic_phi.yaml` with the 3×64 φ-model's measures on 1000 points, one thread, took 54 s and
// 7.1 GB RSS at chunk 1024, 24 s / 2.4 GB at 256, 22 s / 1.4 GB at 128, 21.8 s / 0.92 GB at 64, 21.6 s / 0.72 GB
// at 32 — hence the default 64. Fubini–Study alone is far cheaper (≈ 2 ms per quintic point).
CYPointwiseCurvature cy_pointwise_curvature(const Hypersurface& surface, const CYPointSet& points,
                                            const KahlerPotential& phi = {}, int64_t chunk = 64);

// An empty potential: the Fubini–Study metric itself.
struct CYCurvatureMeasures {
  at::Tensor ricci_scalar;   // [B] float64  R_K = g^{dc̄} Ric_cd̄ (Kähler trace, as cymetric's Ricci measure uses)
  at::Tensor euler_density;  // [B] float64  c_m / (J^m/m!), so χ = ∫_X euler_density J^m/m!
  double ricci_measure = 0;  // docs/design.md §3: ‖R‖ = Vol_K^{1/m}/Vol_CY · mean(w η |R_K|)
  double max_abs_ricci_scalar = 0;
  double mean_abs_ricci_scalar = 0;  // mean(w η |R_K|)/mean(w η): the volume average of |R_K|
  double euler_characteristic = 0;   // Vol_FS · mean(w η euler_density), Vol_FS = deg t^m/m! exactly
  double euler_standard_error = 0;   // Vol_FS · std(w η euler_density)/√B (points treated as independent)
};

CYCurvatureMeasures cy_curvature_measures(const Hypersurface& surface, const CYPointSet& points,
                                          const KahlerPotential& phi = {}, int64_t chunk = 64);

// The local holomorphic embedding x ↦ z(x) of the chart of each base point (the construction above).
// points: the base points (z, patch, eliminated, local_indices used); u: [B, 2m] float64 = (Re δx, Im δx),
// differentiable. Returns z: [B, N+1] complex128, differentiable in u.
at::Tensor cy_local_embedding(const Hypersurface& surface, const CYPointSet& points, const at::Tensor& u,
                              int64_t newton_steps = 3);

}  // namespace nmflow
