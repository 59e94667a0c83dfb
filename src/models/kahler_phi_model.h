#pragma once
// The φ-model of a Kähler metric on a Calabi–Yau hypersurface X ⊂ P^N (docs/design.md §3; docs/cy_training.md):
//   K = K_FS + φ,   g_ab̄ = g_FS,ab̄ + ∂_a∂_b̄ φ = P_a^I (G_FS,IJ̄ + ∂_I∂_J̄ φ) conj(P_b^J),
// with φ a real Mlp of real inputs built from the homogeneous coordinates z and a, b the local (patch) coordinates
// of X. Kähler by construction; the class [J] is that of Fubini–Study (φ is a global function on X when the inputs
// are, so Vol_K = ∫J^m/m! is unchanged).
//
// Inputs (PhiInputs):
//   invariant     u_IJ = z_I z̄_J/|z|²: the N+1 diagonal entries, then Re and Im of the upper triangle I < J
//                 ((N+1)² reals). C*-invariant and patch-independent (cymyc), so φ is a function on X.
//   patch_affine  [Re w, Im w] of w = z/z_k, k the patch (largest |z_I|): 2(N+1) reals. Only a function on X away
//                 from patch boundaries (φ jumps there); kept as the simpler peer option.
//
// Three ways to get ∂_a∂_b̄ φ (PhiJetMethod), equal to rounding (tests/models/kahler_phi_model_test.cpp):
//   wirtinger_jet   forward mode in the local complex coordinates: every unit carries (h, ∂_a h, ∂_a∂_b̄ h) —
//                   1 + 2m + m² real rows (16 for the quintic) — through
//                     dense    z = s_w W h + s_b b:  ∂z = s_w W ∂h (one GEMM for all rows);
//                     σ        ∂_a σ(z) = σ' ∂_a z,  ∂_a∂_b̄ σ(z) = σ'' ∂_a z conj(∂_b z) + σ' ∂_a∂_b̄ z
//                   (h real, so ∂_b̄ h = conj(∂_b h)). The input rows are data, computed once per point
//                   (phi_input_jet). No pure ∂_a∂_b term is ever needed because z(x) is holomorphic.
//   input_hessian   mlp_jet2 (the real 2-jet in the n_in network inputs, 1 + n + n(n+1)/2 rows) and the chain
//                   rule ∂_a∂_b̄ φ = Σ_ij ∂_a x_i H_ij conj(∂_b x_j) + Σ_i ∂_i f ∂_a∂_b̄ x_i.
//   autograd        the baseline: φ as a function of (Re z, Im z) ∈ R^{2(N+1)}, its real Hessian by nested
//                   torch::autograd::grad, Wirtinger ∂_I∂_J̄ = ¼(H_xx + H_yy + i(H_xy − H_yx)), then P · P†.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "common/config_enums.h"
#include "geometry/kahler/cy_curvature.h"
#include "geometry/kahler/cy_point_set.h"
#include "models/activation.h"
#include "models/mlp.h"

namespace nmflow {

// PhiJetMethod and its name table: common/config_enums.h.

// PhiInputs and its name table: common/config_enums.h.
PhiInputs parse_phi_inputs(const std::string& name);          // "invariant" | "patch_affine"
std::string phi_inputs_name(PhiInputs inputs);
PhiJetMethod parse_phi_jet_method(const std::string& name);   // "wirtinger_jet" | "input_hessian" | "autograd"
std::string phi_jet_method_name(PhiJetMethod method);

// Number of real network inputs for N+1 homogeneous coordinates.
int64_t phi_input_dim(PhiInputs inputs, int64_t n_coords);

// Rows of a Kähler jet in local complex dimension m, in this order:
//   0                     the value
//   1 .. m                Re ∂_a       (∂_a the Wirtinger derivative in the local coordinate x_a)
//   m+1 .. 2m             Im ∂_a
//   next m(m+1)/2         Re ∂_a∂_b̄, a ≤ b (row-major upper triangle)
//   last m(m−1)/2         Im ∂_a∂_b̄, a < b
int64_t kahler_jet_rows(int64_t m);

// The Kähler jet of the network inputs at each point: [B, 1 + 2m + m², n_in] in `dtype` (data: no parameters).
// z: [B, N+1] complex128 patch-normalised (CYPointSet::z); pullback: [B, m, N+1] complex128; patch: [B] int64.
at::Tensor phi_input_jet(PhiInputs inputs, const at::Tensor& z, const at::Tensor& pullback, const at::Tensor& patch,
                         at::ScalarType dtype);
at::Tensor phi_input_jet(PhiInputs inputs, const CYPointSet& points, at::ScalarType dtype);

// The Hermitian m×m matrix of a scalar Kähler jet. jet: [B, 1 + 2m + m²] real → [B, m, m] complex128,
// [b, a, c] = ∂_a∂_c̄ f.
at::Tensor ddbar_from_kahler_jet(const at::Tensor& jet, int64_t m);

// ∂_a∂_b̄ of any real function of the homogeneous coordinates by nested autograd (the baseline and the test oracle):
// F's real Hessian in (Re z, Im z), Wirtinger ∂_I∂_J̄ = ¼(H_xx + H_yy + i(H_xy − H_yx)), then P (·) P†.
// potential: z [B, N+1] complex128 → [B] float64, differentiable; z: [B, N+1] complex128; pullback: [B, m, N+1]
// complex128. Returns [B, m, m] complex128 (differentiable: create_graph).
at::Tensor ddbar_by_autograd(const std::function<at::Tensor(const at::Tensor&)>& potential, const at::Tensor& z,
                             const at::Tensor& pullback);

// det of Hermitian matrices g: [B, m, m] complex → [B] float64 (real part). Closed form for m ≤ 3 (cheaper than a
// batched LU and differentiable elementwise), at::linalg_det otherwise.
at::Tensor hermitian_det(const at::Tensor& g);

struct KahlerPhiModelConfig {
  PhiInputs inputs = PhiInputs::Invariant;
  std::vector<int64_t> hidden{64, 64, 64};
  Activation activation = Activation::Gelu;
  Parameterisation parameterisation = Parameterisation::Standard;
  double sigma_w = 1.0;
  double sigma_b = 0.1;
  // Start exactly at Fubini–Study (φ ≡ 0) by zeroing the output layer; the hidden layers keep their random draw,
  // so the first Adam steps move the output layer and the gradient then reaches the rest.
  bool zero_output_layer = true;
  uint64_t seed = 0;
  at::ScalarType dtype = at::kDouble;  // network dtype: kDouble or kFloat (∂∂̄φ is returned in float64)
};

class KahlerPhiModel {
 public:
  // n_coords: N+1 of the ambient P^N (5 for the quintic).
  KahlerPhiModel(const KahlerPhiModelConfig& config, int64_t n_coords);

  // ∂_a∂_b̄ φ: [B, m, m] complex128 from the input jet (phi_input_jet, the model's dtype) by `method`
  // (WirtingerJet or InputHessian). Differentiable in the parameters.
  at::Tensor ddbar_phi(const at::Tensor& input_jet, PhiJetMethod method) const;

  // The autograd baseline, from the points themselves. z: [B, N+1] complex128; pullback: [B, m, N+1] complex128;
  // patch: [B] int64. Returns [B, m, m] complex128, differentiable in the parameters (create_graph).
  at::Tensor ddbar_phi_autograd(const at::Tensor& z, const at::Tensor& pullback, const at::Tensor& patch) const;

  // φ itself at homogeneous points z: [B, N+1] complex (any scaling; patch: [B] int64 of each point) → [B].
  // Differentiable in Re z, Im z and the parameters.
  at::Tensor phi(const at::Tensor& z, const at::Tensor& patch) const;

  const Mlp& mlp() const { return mlp_; }
  // Moves the network to `device` (new leaf parameters: build optimisers afterwards).
  void to(const at::Device& device) { mlp_.to(device); }
  std::vector<at::Tensor> parameters() const { return mlp_.parameters(); }
  const KahlerPhiModelConfig& config() const { return config_; }
  int64_t n_coords() const { return n_coords_; }

 private:
  KahlerPhiModelConfig config_;
  int64_t n_coords_;
  Mlp mlp_;
};

// det g of g = points.g_fs + ∂∂̄φ at every point of `points` → [B] float64, differentiable in the parameters.
// input_jet: phi_input_jet(points) [B, 1 + 2m + m², n_in] (ignored, and may be undefined, for Autograd).
at::Tensor phi_model_det(const KahlerPhiModel& model, const CYPointSet& points, const at::Tensor& input_jet,
                         PhiJetMethod method);

// The model's φ as geometry's KahlerPotential (for cy_pointwise_curvature and cy_curvature_measures):
// ∂∂̄φ by the Wirtinger jet of phi_input_jet(z, pullback, patch). The model must outlive the returned value.
KahlerPotential phi_model_potential(const KahlerPhiModel& model);

}  // namespace nmflow
