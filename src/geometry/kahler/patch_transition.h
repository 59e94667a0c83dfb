#pragma once
// One point of X ⊂ P^N in several charts, and the Jacobians between them (docs/design.md §3; docs/cy_training.md,
// "Free metric models"). A chart is (patch k, eliminated e): z normalised so z_k = 1, local coordinates
// x_a = z_{I_a} for the m indices I_a ∉ {k, e} in ascending order, z_e solved from p(z) = 0 (patches.h).
//
// Chart change. Let (k, e) with local x and (k', e') with local x' describe the same point; z is normalised in k
// (z_k = 1) and Z = z/z_k' in k'. The holomorphic tangent vector ∂/∂x'_b is P'_b = ∂Z/∂x'_b (the pullback of the
// chart (k', e')), and x_a = Z_{I_a}/Z_k, so
//     J_b^a := ∂x_a/∂x'_b = (P'_b^{I_a} Z_k − Z_{I_a} P'_b^k)/Z_k² = z_k' (P'_b^{I_a} − x_a P'_b^k),
// using Z_k = 1/z_k' and Z_{I_a}/Z_k = x_a. A Hermitian form ds² = g_ab̄ dx^a dx̄^b becomes, with dx^a = J_b^a dx'^b,
//     g'_bc̄ = J_b^a g_ad̄ conj(J_c^d),   i.e.  g' = J g J†   (J[b, a] = J_b^a).
// Equivalently, as homogeneous vectors: Σ_a J_b^a P_a = z_k' (P'_b − P'_b^k z) (the k'-chart tangent vector rescaled
// to z and projected along the Euler direction z so that its k-th entry vanishes) — tested entry by entry.
#include <ATen/core/Tensor.h>

#include "geometry/kahler/cy_point_set.h"
#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/patches.h"

namespace nmflow {

// The chart (patch, eliminated) at points z of X, by the same rules as choose_patches except that k and e are
// given. z: [B, N+1] complex128 (any scaling); patch, eliminated: [B] int64 with patch ≠ eliminated.
PatchChoice patch_choice_at(const Hypersurface& surface, const at::Tensor& z, const at::Tensor& patch,
                            const at::Tensor& eliminated);

// make_cy_point_set's quantities (pullback, g_FS = P G_FS P†, det, |Ω|², w) in the given charts.
CYPointSet cy_point_set_at(const Hypersurface& surface, const at::Tensor& z, const at::Tensor& patch,
                           const at::Tensor& eliminated, double t = 1.0);

// J[b, c, a] = ∂x_a/∂x'_c from the chart of `original` (x) to the chart of `alternative` (x'), both describing the
// same B points (formula above). Returns [B, m, m] complex128.
at::Tensor chart_transition_jacobian(const CYPointSet& original, const CYPointSet& alternative);

// Every other chart of each point that keeps its eliminated coordinate: k' ∈ {0..N} \ {k, e}, e' = e (m charts per
// point, as cymetric's transition loss). Row b·m + r of `alternative` and `jacobian` is point b in its r-th chart.
struct PatchTransitions {
  CYPointSet alternative;  // B·m points
  at::Tensor jacobian;     // [B·m, m, m] complex128  J from the point's own chart to the alternative one
  int64_t per_point = 0;   // m
};
PatchTransitions patch_transitions(const Hypersurface& surface, const CYPointSet& points, double t = 1.0);

// The pullback P(z) [B, m, N+1] of a fixed chart as a differentiable function of z: [B, N+1] complex128 (autograd
// reaches z through ∂p/∂z). patch, eliminated: [B]; local_indices: [B, m] int64.
at::Tensor pullback_at(const Hypersurface& surface, const at::Tensor& z, const at::Tensor& patch,
                       const at::Tensor& eliminated, const at::Tensor& local_indices);

// The chart map x ↦ z: z_k = 1, z_{I_a} = x_a, z_e the root of p near z_guess[e] (Newton, to rounding).
// z_guess: [B, N+1] complex128 normalised in the chart; x: [B, m] complex128. Returns [B, N+1] complex128.
at::Tensor chart_point(const Hypersurface& surface, const at::Tensor& z_guess, const at::Tensor& patch,
                       const at::Tensor& eliminated, const at::Tensor& local_indices, const at::Tensor& x);

}  // namespace nmflow
