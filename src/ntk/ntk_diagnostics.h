#pragma once
// NTK diagnostics recorded during training (docs/design.md §5): drift (feature learning), spectrum, locality.
#include <cstdint>

#include <ATen/core/Tensor.h>

namespace nmflow {

// theta_t, theta_0: same shape → ‖Θ_t − Θ_0‖_F / ‖Θ_0‖_F. Throws if Θ_0 = 0.
double ntk_relative_drift(const at::Tensor& theta_t, const at::Tensor& theta_0);

// theta: [M, M], symmetric up to rounding (symmetrised as (Θ + Θᵀ)/2) → its k largest eigenvalues, descending:
// [k] (float64). 1 ≤ k ≤ M.
at::Tensor ntk_top_eigenvalues(const at::Tensor& theta, int64_t k);

// theta: [B·p, B·p], Θ(x, x) on one point set in the layout of ntk/empirical_ntk.h → the non-local mass
// Σ_{b≠b'} ‖Θ_bb'‖_F² / Σ_{b,b'} ‖Θ_bb'‖_F², Θ_bb' the [p, p] block of points b, b'. 0 for a kernel local in x,
// 1 − 1/B for one constant over all pairs of points. Throws if Θ = 0.
double ntk_nonlocal_mass(const at::Tensor& theta, int64_t components);

}  // namespace nmflow
