#pragma once
// Holomorphic sections of O(k) on a hypersurface X = {p = 0} ⊂ P^N as monomials (docs/design.md §3, Donaldson).
// H⁰(X, O(k)) = C[z_0..z_N]_k / (p)_k. When p contains z_0^d (d = deg p) with a nonzero coefficient, z_0^d is the
// leading term of p in the lexicographic order with z_0 first, so the degree-k monomials NOT divisible by z_0^d
// are a basis of the quotient (the standard monomials of the principal ideal (p)):
//   N_k = C(N+k, N) − C(N+k−d, N);  quintic: 5, 15, 35, 70, 125, 205, 330, 460 for k = 1..8.
#include <ATen/core/Tensor.h>

#include <cstdint>

#include "geometry/kahler/hypersurface.h"

namespace nmflow {

// Exponents of the section basis: [N_k, N+1] int64, rows in lexicographic order (z_0's power descending).
// Throws unless k ≥ 1 and p contains z_0^d with a nonzero coefficient.
at::Tensor section_monomials(const Hypersurface& surface, int64_t k);

// exponents: [N_k, N+1] int64 (CPU or z's device); z: [B, N+1] complex128 → s_α(z) = Π_I z_I^{e_αI}: [B, N_k].
// Written with differentiable ops (index_select, mul), so autograd can check the closed-form derivatives.
at::Tensor evaluate_monomials(const at::Tensor& exponents, const at::Tensor& z);

// Closed-form ∂s_α/∂z_I = e_αI z^{e_α − δ_I}: [B, N+1, N_k] complex128 ([b, I, α]).
at::Tensor monomial_gradients(const at::Tensor& exponents, const at::Tensor& z);

}  // namespace nmflow
