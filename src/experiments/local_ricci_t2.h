#pragma once
// Local-flow Ricci recovery, case (c): an inhomogeneous conformal metric g₀ = e^{2u₀}δ on T² = R²/(2πZ)²
// (docs/design.md §4; derivation with every factor in docs/local_ricci.md §5).
//
// Measure and dilaton: μ = d²x (the flat chart measure, total 4π²), sampled on a uniform grid with w = 4π²; the
// dilaton is slaved to it, e^{−f} dV_g = μ, so f = log √det g (= 2u on conformal metrics).
//
// Model: a linear model over N = n_c² periodic Gaussian bumps of width ε centred on the regular n_c × n_c grid,
//     S_P(x) = N^{−1/2} Σ_a ψ_a(x) A_aP,   ψ_a(x) = w(x¹ − c¹_a) w(x² − c²_a),   w(t) = Σ_m e^{−(t − 2πm)²/(2ε²)},
// A trained from 0, and the metric in the frame E = e^{u₀}I:
//     frame_exp:  g = E exp(P(S)) E   (3 outputs; K = g g at S = 0, the kernel of Perelman's flow), or
//     conformal:  g = E e^{2S} E = e^{2(u₀ + S)}δ   (1 output; K = 4 g ⊗ g, the conformal projection).
// Frozen kernel Θ_S(x, x') = N^{−1} Σ_a ψ_a(x)ψ_a(x') → (ε²/4π) Π_c ϑ(Δ_c), ϑ(Δ) = Σ_m e^{−(Δ − 2πm)²/(4ε²)}, a
// Fourier multiplier ε⁴ e^{−ε²|k|²}: Ω = ε⁴ and bandwidth Λ = 1/ε.
//
// Findings (docs/local_ricci.md §5): with f slaved to the flat μ, F ≡ 0 on conformal metrics and the conformal
// projection of −2(Ric + ∇∇f) vanishes identically, so the conformal-head NN flow is static (∂_t u = 0). The
// frame head tracks Perelman's (trace-free, backward-parabolic in gauge directions) flow, which is Ricci flow up
// to diffeomorphisms; it is compared with Ricci flow (conformal_surface_flow.h) through the area-weighted
// distribution of R, a diffeomorphism invariant.
#include <cstdint>

#include <ATen/core/Tensor.h>

#include "experiments/local_ricci_case.h"

namespace nmflow {

// −2(Ric + ∇∇f) of g = e^{2u}δ on T² with f = 2u − ℓ slaved to μ = e^{ℓ} d²x, in closed form
// (Ric = −Δu δ, ∇_i∇_j f = ∂_i∂_j f − ∂_iu ∂_jf − ∂_ju ∂_if + δ_ij ∂u·∂f):
//     V_ij = 2Δu δ_ij − 2(∂_i∂_j f − ∂_iu ∂_jf − ∂_ju ∂_if + δ_ij ∂u·∂f).
// du, dl: [B, 2]; d2u, d2l: [B, 2, 2] (flat first and second derivatives of u and ℓ) → V: [B, 2, 2].
at::Tensor conformal_slaved_perelman_velocity(const at::Tensor& du, const at::Tensor& d2u, const at::Tensor& dl,
                                              const at::Tensor& d2l);

// The conformal projection of that flow, ∂_t u = ¼ g^{ij} V_ij = −½(R + Δ_g f) = ½ e^{−2u} Δℓ:
// u, lap_l: [B] → [B]. Zero for the flat measure (ℓ = const).
at::Tensor conformal_slaved_u_rate(const at::Tensor& u, const at::Tensor& lap_l);

// The frozen kernel of the bump model in closed form, (ε²/4π) Π_c ϑ(Δ_c) (aliasing of the centre grid dropped:
// relative size ≈ 2e^{−π²ε²/h²} per axis, h = 2π/n_c; 2e−3 at the check's h = 1.2ε). delta: [..., 2] → [...]. bandwidth Λ = 1/ε.
at::Tensor torus_bump_kernel(double bandwidth, const at::Tensor& delta);

// The normalised features N^{−1/2} ψ_a(x): x [B, 2] → [B, N], N = centres_per_axis², centre a = (i, j) at index
// i·n_c + j. Θ_S = φ(x) φ(x')ᵀ.
at::Tensor torus_bump_features(int64_t centres_per_axis, double bandwidth, const at::Tensor& x);

// Wasserstein-2 distance between two weighted samples of a real quantity (their quantile functions, linearly
// interpolated between weight midpoints, compared on 2000 midpoints of [0, 1]). values, weights: [P] and [Q],
// weights > 0 (normalised internally).
double weighted_wasserstein2(const at::Tensor& values_a, const at::Tensor& weights_a, const at::Tensor& values_b,
                             const at::Tensor& weights_b);

// The metric-NTK of the T² model at initialisation on probes [P, 2]: [P·3, P·3] (ntk/empirical_ntk.h layout).
at::Tensor conformal_t2_initial_ntk(const LocalRicciOptions& options, const at::Tensor& probes);

// Runs case (c): NN flow (gradient descent on L = −2F/Ω) and the conformal Ricci-flow reference from the same g₀.
LocalRicciResult run_local_ricci_t2(const LocalRicciOptions& options);

}  // namespace nmflow
