#pragma once
// Donaldson's balanced metrics on a hypersurface X ⊂ P^N, the classical baseline for CY metrics (docs/design.md §3;
// Donaldson 2005, Douglas–Karp–Lukic–Reinbacher 2006). Conventions (docs/kahler.md, "Donaldson balanced metrics"):
//   sections s_α, α = 1..N_k: the monomial basis of H⁰(X, O(k)) (monomial_basis.h);
//   h_αβ̄ Hermitian positive definite, stored h[α, β]; S(z) = Σ_αβ s_α h_αβ̄ s̄_β = sᵀ h s̄ (real, > 0);
//   Kähler potential K = (1/(kπ)) log S, which at k = 1, h = I is docs/design.md's FS potential (1/π) log|z|²;
//   T-operator T(h)_αβ̄ = (N_k/(N_p Vol_CY)) Σ_i w_i s_α(z_i) s̄_β(z_i)/S(z_i) = N_k Σ_i w_i s s̄/S / Σ_i w_i
//   (Vol_CY = mean(w), so this is N_k times the Ω∧Ω̄-weighted mean; with it tr(T(h) hᵀ) = N_k exactly);
//   balanced: T(h) = (h⁻¹)ᵀ, approached by the iteration h ← (T(h)⁻¹)ᵀ. T(c h) = T(h)/c, so the balanced h is a
//   ray and the iteration keeps the scale of its start; the metric does not depend on it.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "geometry/kahler/cy_measures.h"
#include "geometry/kahler/cy_point_set.h"
#include "geometry/kahler/hypersurface.h"

namespace nmflow {

struct DonaldsonOptions {
  int64_t max_iterations = 15;    // updates h ← (T(h)⁻¹)ᵀ at most
  double tolerance = 0.0;         // stop once the balance residual of the current h is ≤ this (0: never early)
  int64_t chunk_points = 16384;   // points per chunk of the T-operator and metric (bounds memory: chunk × N_k)
};

struct BalancedMetric {
  int64_t k = 0;
  at::Tensor exponents;           // [N_k, N+1] int64  section monomials
  at::Tensor h;                   // [N_k, N_k] complex128  h[α, β] = h_αβ̄, Hermitian positive definite
  std::vector<double> residuals;  // balance_residual of h_0 = I, h_1, …, the returned h (last entry)
};

// T(h): [N_k, N_k] complex128. exponents: [N_k, N+1] int64; h: [N_k, N_k] complex128; z: [B, N+1] complex128;
// weights: [B] float64 (w_i). One weighted complex GEMM [N_k × B]·[B × N_k] per chunk of points.
at::Tensor donaldson_t_operator(const at::Tensor& exponents, const at::Tensor& h, const at::Tensor& z,
                                const at::Tensor& weights, int64_t chunk_points = 16384);

// ‖T hᵀ − I‖_F/√N_k, zero exactly at a balanced h; t_of_h, h: [N_k, N_k] complex128.
double balance_residual(const at::Tensor& t_of_h, const at::Tensor& h);

// Iterates h ← (T(h)⁻¹)ᵀ from h = I on the points' z and weights (the balancing points).
BalancedMetric donaldson_balanced_metric(const Hypersurface& surface, const CYPointSet& points, int64_t k,
                                         const DonaldsonOptions& options = {});

// The metric for given sections and h (e.g. h = I at k = 1, the Fubini–Study metric).
BalancedMetric balanced_metric_from(const Hypersurface& surface, int64_t k, const at::Tensor& h);

// z: [B, N+1] complex128 → K = (1/(kπ)) log S(z): [B] float64.
at::Tensor balanced_kahler_potential(const BalancedMetric& metric, const at::Tensor& z);

// z: [B, N+1] complex128 → G_IJ̄ = ∂_I∂_J̄ K on C^{N+1}: [B, N+1, N+1] complex128, G[b, I, J] = G_IJ̄:
//   ∂_I∂_J̄ log S = (∂_I s)ᵀ h conj(∂_J s)/S − (∂_I S)(∂_J̄ S)/S²,  ∂_I S = (∂_I s)ᵀ h s̄,  ∂_J̄ S = conj(∂_J S).
at::Tensor balanced_ambient_metric(const BalancedMetric& metric, const at::Tensor& z, int64_t chunk_points = 16384);

// The metric on X at the points: g = P G P†, [B, m, m] complex128 (g[b, a, c] = g_ac̄).
at::Tensor balanced_metric_on_x(const BalancedMetric& metric, const CYPointSet& points, int64_t chunk_points = 16384);

// σ, κ, Vol_K of the balanced metric on the points (cy_accuracy with det g = det(P G P†)).
CYAccuracy balanced_accuracy(const BalancedMetric& metric, const CYPointSet& points, int64_t chunk_points = 16384);

}  // namespace nmflow
