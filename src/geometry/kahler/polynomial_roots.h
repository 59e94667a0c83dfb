#pragma once
// Batched polynomial root finding, the hot loop of the line-intersection sampler (docs/design.md §3): every root of
// every polynomial at once, on CPU (at::parallel_for) or CUDA (cuda/polynomial_roots.cu), both running the
// Aberth iteration + Newton polish of polynomial_roots_math.h. Complex tensors are at::kComplexDouble.
#include <ATen/core/Tensor.h>

namespace nmflow {

struct PolynomialRoots {
  at::Tensor roots;      // [L, d] complex128
  at::Tensor converged;  // [L] bool: the Aberth corrections fell below 1e-12 relative (residuals still to check)
};

// Default Aberth iteration cap: simple roots converge in ~10 sweeps; the cap bounds ill-conditioned lines.
constexpr int kDefaultRootIterations = 100;

// coeffs: [L, d + 1] complex128, coeffs[l, j] multiplies t^j, leading coefficient coeffs[l, d] nonzero.
PolynomialRoots polynomial_roots(const at::Tensor& coeffs, int max_iterations = kDefaultRootIterations);

struct LineRoots {
  at::Tensor t;          // [L, d] complex128  roots of q_L(t) = p(a_L + t b_L)
  at::Tensor residual;   // [L, d] float64     |p(z)|/‖z‖^d at z = a_L + t b_L, p evaluated from its monomials
  at::Tensor converged;  // [L] bool           as in PolynomialRoots
};

// Roots t of q_L(t) = p(a_L + t b_L) for the homogeneous p(z) = Σ_k c_k z^{e_k} of degree `degree`.
// a, b: [L, N+1] complex128 (N+1 ≤ 16); exponents: [M, N+1] int64; coefficients: [M] complex128 (one device).
LineRoots line_intersection_roots(const at::Tensor& a, const at::Tensor& b, const at::Tensor& exponents,
                                        const at::Tensor& coefficients, int64_t degree,
                                        int max_iterations = kDefaultRootIterations);

}  // namespace nmflow
