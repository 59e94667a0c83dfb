#pragma once
// Left-invariant metrics on SU(2) = S^3 (docs/design.md §6), g = Aσ₁² + Bσ₂² + Cσ₃², written in the Euler-angle chart
//   q(α, β, γ) = e^{kα/2} e^{jβ/2} e^{kγ/2}  (unit quaternion),   x = (α, β, γ) ∈ [0, 2π) × [0, π] × [0, 4π),
// which covers S^3 once (up to the measure-zero set sin β = 0). The coframe is q̄ dq = σ₁ i + σ₂ j + σ₃ k:
//   σ₁ = ½(−sin β cos γ dα + sin γ dβ),  σ₂ = ½(sin β sin γ dα + cos γ dβ),  σ₃ = ½(cos β dα + dγ),
// dual to the left-invariant fields X_a = q·e_a with [X_i, X_j] = 2ε_ijk X_k (dσ₁ = −2σ₂∧σ₃). So A = B = C = 1 is
// the unit round S^3 (Ric = 2g), √det g = √(ABC) sin β / 8 and Vol = 2π² √(ABC). Berger: (A, B, C) = (A, A, B).
#include <ATen/core/Tensor.h>

#include <memory>

#include "geometry/manifolds/reference_metric.h"

namespace nmflow {

std::unique_ptr<ReferenceMetric> make_left_invariant_su2(double a, double b, double c);  // A, B, C > 0; "su2"
std::unique_ptr<ReferenceMetric> make_berger_sphere(double a, double b);  // A(σ₁² + σ₂²) + Bσ₃²; "berger"

// x: [B, 3] Euler angles → E: [B, 3, 3] with σ_i = E[b, i, a] dx^a.
at::Tensor s3_coframe(const at::Tensor& x);

// x: [B, 3] Euler angles → q: [B, 4] = (q0, q_i, q_j, q_k), differentiable.
at::Tensor s3_quaternion_from_euler(const at::Tensor& x);

// q: [B, 4] unit quaternions → x: [B, 3] Euler angles in [0, 2π) × [0, π] × [0, 4π) (inverse of the above).
at::Tensor s3_euler_from_quaternion(const at::Tensor& q);

}  // namespace nmflow
