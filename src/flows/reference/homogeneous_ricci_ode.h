#pragma once
// Ricci flow of homogeneous metrics as ODEs (docs/design.md §4 "RicciFlowReference", §6 oracles). An invariant metric is
// diagonal in a fixed invariant coframe θ^a, g = Σ_a λ_a θ^a ⊗ θ^a, and stays so under ∂_t g = −2 Ric, so the flow
// is an ODE for a few coefficients y (λ = frame_weights(y)). Each family states its Ricci tensor in the frame and
// hence dy/dt; tests tie every velocity to the curvature engine applied to the chart metric Eᵀ diag(λ) E.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "flows/reference/ode_integrator.h"

namespace nmflow {

class HomogeneousRicciOde {
 public:
  virtual ~HomogeneousRicciOde() = default;
  virtual std::string name() const = 0;
  virtual int64_t dim() const = 0;               // n, the manifold's dimension
  virtual int64_t num_coefficients() const = 0;  // length of y
  // dy/dt under ∂_t g = −2 Ric.
  virtual std::vector<double> velocity(const std::vector<double>& y) const = 0;
  // The n frame weights λ_a(y) > 0 of g = Σ_a λ_a θ^a ⊗ θ^a.
  virtual std::vector<double> frame_weights(const std::vector<double>& y) const = 0;
  // x: [P, n] chart coordinates → E: [P, n, n] with θ^a = E[p, a, b] dx^b; differentiable in x.
  virtual at::Tensor coframe(const at::Tensor& x) const = 0;
  virtual double scalar_curvature(const std::vector<double>& y) const = 0;
  // c with size(y) = c·y > 0, a length scale² that vanishes at extinction (used to rescale time there).
  virtual std::vector<double> size_weights() const = 0;

  // x: [P, n] → g: [P, n, n] = Eᵀ diag(λ(y)) E, differentiable in x.
  at::Tensor metric(const at::Tensor& x, const std::vector<double>& y) const;
  // x: [P, n] → Ric: [P, n, n] = Eᵀ diag(−½ dλ/dt) E: the frame is Ricci-diagonal and ∂_t λ_a = −2 Ric_aa, with
  // λ = frame_weights(y) linear in y for every family, so dλ/dt = frame_weights(velocity(y)).
  at::Tensor ricci(const at::Tensor& x, const std::vector<double>& y) const;
  // Throws nmflow::Error unless y has num_coefficients() finite entries with all frame weights > 0.
  void check_coefficients(const std::vector<double>& y, const char* who) const;
};

// Round S^n (sign +1, stereographic chart, θ^a = 2dx^a/(1+|x|²)) or hyperbolic H^n (sign −1, upper half-space,
// θ^a = dx^a/x_n), y = (ρ): g = ρ ĝ with ĝ of sectional curvature ±1, so Ric = ±(n−1) ĝ and dρ/dt = ∓2(n−1):
// g(t) = (r₀² − 2(n−1)t) ĝ on the sphere, g(t) = (1 + 2(n−1)t) g₀ on H^n (docs/design.md §6). 2 ≤ n ≤ 8.
std::unique_ptr<HomogeneousRicciOde> make_space_form_ode(int64_t n, int sign);

// Left-invariant metrics g = Aσ₁² + Bσ₂² + Cσ₃² on SU(2) in the Euler-angle chart of left_invariant_su2.h
// ([X_i, X_j] = 2ε_ijk X_k), y = (A, B, C): Ric(X₁, X₁) = 2(A² − (B−C)²)/(BC) (Milnor), so
//   dA/dt = −4(A² − (B−C)²)/(BC) and cyclically,   R = 2[2(AB+BC+CA) − (A²+B²+C²)]/(ABC).
// Berger spheres are A = B, which the flow preserves: dA/dt = −8 + 4C/A, dC/dt = −4C²/A².
std::unique_ptr<HomogeneousRicciOde> make_su2_ode();

// Nil (Heisenberg group) with coframe ω₁ = dx₃ + x₂dx₁ − x₁dx₂, ω₂ = dx₁, ω₃ = dx₂ (dω₁ = −2ω₂∧ω₃, the same
// structure constant 2 as SU(2)), y = (A, B, C) for g = Aω₁² + Bω₂² + Cω₃²:
//   dA/dt = −4A²/(BC), dB/dt = 4A/C, dC/dt = 4A/B,   R = −2A/(BC).
std::unique_ptr<HomogeneousRicciOde> make_nil_ode();

// S^m(r) × T^k with a diagonal flat factor, x = (stereographic x_s ∈ R^m, torus angles ∈ [0, 2π)^k),
// y = (ρ = r², ℓ₁, …, ℓ_k) for g = ρ ĝ_{S^m} + Σ_i ℓ_i dθ_i²: dρ/dt = −2(m−1), dℓ_i/dt = 0, R = m(m−1)/ρ.
std::unique_ptr<HomogeneousRicciOde> make_sphere_torus_ode(int64_t sphere_dim, int64_t torus_dim);

// Extinction time of the flow from y0: the t at which size(y) = c·y reaches 0. Integrated in the rescaled time
// dτ = dt / size(y), in which extinction lies at τ = ∞ and the flow is regular (for SU(2), y/size converges to the
// round sphere): Dormand–Prince on (y, t) until size(y) < size_ratio · size(y0), plus the remaining
// −size/(d size/dt) (exact for a linear approach, error O(size · anisotropy) otherwise). Throws nmflow::Error when
// size does not reach the ratio before t = max_time (an immortal flow such as Nil or H^n).
double extinction_time(const HomogeneousRicciOde& ode, const std::vector<double>& y0,
                       const AdaptiveOdeOptions& options = {}, double size_ratio = 1e-9, double max_time = 1e6);

// Closed forms (docs/design.md §6).
// Round S^n of radius r0: r0² / (2(n−1)).
double round_sphere_extinction_time(int64_t n, double r0);
// Berger sphere A(σ₁² + σ₂²) + Bσ₃² from (A0, B0): x₀ = B0/A0, k = (1 − x₀)/x₀,
// T = (A0/8)[1 + √x₀ asinh(√k)/√k] (k > 0), (A0/8)[1 + √x₀ arcsin(√−k)/√−k] (k < 0), A0/4 (k = 0, round).
double berger_extinction_time(double a0, double b0);

}  // namespace nmflow
