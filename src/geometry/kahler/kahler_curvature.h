#pragma once
// Kähler geometry from a potential, by LibTorch autograd in real coordinates (the reference; conventions in
// docs/kahler.md). Complex coordinates w ∈ C^m, real coordinates x = (Re w_1..Re w_m, Im w_1..Im w_m).
//   Wirtinger: ∂_i∂_j̄ = ¼(∂x_i∂x_j + ∂y_i∂y_j + i(∂x_i∂y_j − ∂y_i∂x_j));
//   g_ij̄ = ∂_i∂_j̄ K;  R_ij̄ = −∂_i∂_j̄ log det g;  Kähler scalar R_K = g^{j̄i} R_ij̄ = tr(g⁻¹ Ric);
//   real metric ds² = 2 g_ij̄ dw^i dw̄^j, i.e. [[2 Re g, 2 Im g], [−2 Im g, 2 Re g]] on (x, y). The Riemannian
//   Ricci tensor has the same real form built from R_ij̄, and the Riemannian scalar curvature is 2 R_K.
#include <ATen/core/Tensor.h>

#include <functional>

namespace nmflow {

// A real function of real coordinates, pointwise over the batch: x [B, 2m] float64 → f [B].
using RealScalarFn = std::function<at::Tensor(const at::Tensor&)>;

// re, im: [B, m, m] float64 (real and imaginary parts of a Hermitian g_ij̄) → [B, 2m, 2m] float64
// = 2 [[re, im], [−im, re]], the real symmetric form of ds² = 2 g_ij̄ dw^i dw̄^j.
at::Tensor real_form_from_parts(const at::Tensor& re, const at::Tensor& im);
// h: [B, m, m] complex128 Hermitian → [B, 2m, 2m] float64, real_form_from_parts(Re h, Im h).
at::Tensor real_form(const at::Tensor& h);

// x: [B, 2m] float64 → ∂_i∂_j̄ f: [B, m, m] complex128 ([b, i, j] = ∂_i∂_j̄ f). With create_graph the result
// stays differentiable in x (for Ricci = −∂∂̄ log det g).
at::Tensor complex_hessian(const RealScalarFn& f, const at::Tensor& x, bool create_graph = false);

struct KahlerCurvature {
  at::Tensor metric;  // [B, m, m] complex128  g_ij̄ = ∂_i∂_j̄ K
  at::Tensor ricci;   // [B, m, m] complex128  R_ij̄ = −∂_i∂_j̄ log det g
  at::Tensor scalar;  // [B] float64           R_K = g^{j̄i} R_ij̄ (Riemannian scalar = 2 R_K)
};

// potential: x [B, 2m] → K [B]; x: [B, 2m] float64. Needs four derivatives of K (nested autograd).
KahlerCurvature kahler_curvature_from_potential(const RealScalarFn& potential, const at::Tensor& x);

}  // namespace nmflow
