#pragma once
// Perelman's F-functional and λ on a weighted point set (Perelman 2002, math/0211159 §1; docs/design.md §4):
//     F[g, f] = ∫ (R + |∇f|²) e^{−f} dV_g ≈ mean(w (R + g^ab ∂_a f ∂_b f) e^{−f} √det g)
// (Monte-Carlo measure of point_set.h). The dilaton f is either
//   (a) a field given per point with its derivatives (e.g. a second, scalar network: dilaton_jet_from_mlp), or
//   (b) slaved to the sampling measure μ = e^{ℓ} dⁿx: e^{−f} √det g = e^{ℓ − c}, i.e. f = log √det g − ℓ + c
//       (docs/design.md §4 "Local-flow Ricci recovery"); f is then a functional of g, and F's gradient in g is
//       −(R^ij + ∇^i∇^j f) e^{−f} √det g. With a flat sampling density (ℓ = 0, e.g. the uniform torus) this is
//       f = ½ log det g + c; on the stereographic sphere with uniform points ℓ = log √det ĝ (ĝ the unit round
//       metric), so f = ½ log(det g / det ĝ) + c is a true scalar, the same in both charts.
#include <cstdint>

#include <ATen/core/Tensor.h>

#include "training/losses.h"
#include "geometry/metric_jet.h"
#include "models/mlp.h"

namespace nmflow {

// The 2-jet of a scalar field at the points (hess may be undefined where only F is needed).
struct ScalarJet2 {
  at::Tensor value;  // [B]
  at::Tensor grad;   // [B, n]     ∂_a f
  at::Tensor hess;   // [B, n, n]  ∂_a ∂_b f
};

// A scalar network (output_dim 1) as a dilaton: its forward Taylor 2-jet at x [B, n], differentiable in its
// parameters.
ScalarJet2 dilaton_jet_from_mlp(const Mlp& mlp, const at::Tensor& x);

// log √det g and its 2-jet from the metric's (Jacobi's formula):
//   ∂_a log √det g = ½ g^ij ∂_a g_ij,   ∂_a∂_b log √det g = ½ g^ij ∂_a∂_b g_ij − ½ g^ik ∂_a g_kl g^lj ∂_b g_ji.
ScalarJet2 log_volume_density_jet(const MetricJet& jet);

// Variant (b): f = log √det g − ℓ + shift. log_measure_density: the 2-jet of ℓ = log(dμ/dⁿx) of the sampling
// measure (e.g. log_volume_density_jet of the unit round metric for uniform sphere points); an undefined value
// means ℓ = 0 (a flat density). Differentiable in the jet.
ScalarJet2 slaved_dilaton(const MetricJet& jet, const ScalarJet2& log_measure_density, double shift = 0.0);

// F[g, f]. Terms: perelman_f, weighted_volume (∫ e^{−f} dV), volume. weights: [B]; dilaton value [B], grad [B, n].
LossValue perelman_f(const at::Tensor& weights, const MetricJet& jet, const ScalarJet2& dilaton,
                     CurvatureBackend backend);

// Perelman's first variation (§1.1) at (g, f) in the direction δg = v, δf = h:
//   δF = ∫ [ −v_ij (R^ij + ∇^i∇^j f) + (v/2 − h)(2Δf − |∇f|² + R) ] e^{−f} dV,   v = g^ij v_ij,
// with ∇_i∇_j f = ∂_i∂_j f − Γ^k_ij ∂_k f. It equals dF/dε only for the exact integral (it integrates by parts),
// so on samples it needs a quadrature exact for total derivatives (a uniform grid on a torus).
// v: [B, n, n] symmetric; h: [B]; dilaton needs hess. Returns a 0-dim tensor.
at::Tensor perelman_first_variation(const at::Tensor& weights, const MetricJet& jet, const ScalarJet2& dilaton,
                                    const at::Tensor& v, const at::Tensor& h, CurvatureBackend backend);

// The Perelman flow velocity −2(R_ij + ∇_i∇_j f) at the points: [B, n, n]. dilaton needs hess.
at::Tensor perelman_velocity(const MetricJet& jet, const ScalarJet2& dilaton, CurvatureBackend backend);

// Perelman's λ(g) = inf { F[g, f] : ∫ e^{−f} dV = 1 } = lowest eigenvalue of −4Δ + R, by Rayleigh–Ritz in the span
// of K given functions φ_k (u = e^{−f/2} = Σ c_k φ_k):
//   A_kl = ∫ (4 g^ab ∂_a φ_k ∂_b φ_l + R φ_k φ_l) dV,   M_kl = ∫ φ_k φ_l dV,   λ ≈ min eig(M⁻¹A)  (an upper bound,
// exact when the ground state lies in the span). basis: [B, K]; basis_grad: [B, K, n]. Differentiable in the jet.
at::Tensor perelman_lambda(const at::Tensor& weights, const MetricJet& jet, const at::Tensor& basis,
                           const at::Tensor& basis_grad, CurvatureBackend backend);

}  // namespace nmflow
