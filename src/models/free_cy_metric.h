#pragma once
// Free (non-φ) neural metric models on a Calabi–Yau hypersurface X ⊂ P^N (docs/design.md §3; cymetric's FreeModel,
// AddFSModel, MultFSModel; docs/cy_training.md, "Free metric models"). A real Mlp maps the network inputs of a point
// (PhiInputs: the invariant u_IJ = z_I z̄_J/|z|² by default, or [Re w, Im w] with w = z/z_k the patch-normalised
// coordinates, cymetric's choice) to m² reals v, which a head turns into the Hermitian m×m matrix g_ab̄ in the
// point's local coordinates x (the chart of CYPointSet):
//   free            g = L L†, L lower triangular with L_ii = exp(v_ii) and L_ij = v_ij + i v_ji (i > j) — a
//                   Cholesky-type map, so g is positive definite for every v (cymetric's free model only
//                   Hermitises v and is not positive by construction);
//   additive        g = g_FS + H(v);
//   multiplicative  g = g_FS ⊙ (1 + H(v)) (elementwise; 1 the all-ones matrix), cymetric's MultFS;
// with H(v)_ii = v_ii, H(v)_ij = v_ij + i v_ji and H(v)_ji = conj(H(v)_ij) for i < j.
//
// Unlike the φ-model these metrics are neither Kähler (∂_a g_ib̄ ≠ ∂_i g_ab̄ in general: hence the Kähler loss)
// nor patch-consistent (the network outputs a matrix in whichever chart it is evaluated in, and nothing ties the
// matrices of two charts by g' = J g J†: hence the transition loss) — training/cy_free_losses.h. With invariant inputs
// the network cannot tell the charts apart, so L_T cannot vanish exactly for a non-zero correction; measured, they
// still learn much better than patch-normalised inputs and end with smaller L_K and L_T (docs/cy_training.md), hence
// the default.
//
// Holomorphic derivatives ∂_a g_ib̄ (∂_a the Wirtinger derivative in x_a), two ways, equal to rounding (tested):
//   metric_jet                     forward mode: the input rows ∂_a x_i of phi_input_jet, the network's input
//                                  Jacobian from mlp_taylor_jet (order 1), ∂_a v = Σ_i ∂_a x_i ∂_i v (v real, so
//                                  ∂_a v is complex), then the head's derivative, which is C-linear in ∂_a v:
//                                  ∂_a H(v) = H(∂_a v), ∂_a (L†) = L†-pattern of ∂_a v (not (∂_a L)†), and ∂_a g_FS
//                                  as data.
//   holomorphic_derivative_by_autograd   the baseline: g as a torch function of the homogeneous z with the chart
//                                  fixed (metric_of_z: pullback P(z) from ∂p/∂z, g_FS(z) = P G_FS(z) P†), its real
//                                  Jacobian in (Re z, Im z) by reverse mode, Wirtinger ∂_I = ½(∂x_I − i∂y_I), then
//                                  ∂_a = Σ_I P_a^I ∂_I (the chain rule through the holomorphic chart map z(x); the
//                                  ∂_ā part vanishes because z(x) is holomorphic).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "geometry/kahler/hypersurface.h"
#include "models/activation.h"
#include "models/kahler_phi_model.h"
#include "models/mlp.h"

namespace nmflow {

// FreeMetricHead and its name table: common/config_enums.h.
FreeMetricHead parse_free_metric_head(const std::string& name);  // "free" | "additive" | "multiplicative"
std::string free_metric_head_name(FreeMetricHead head);

// g and its holomorphic derivative at each point.
struct HermitianJet {
  at::Tensor g;   // [B, m, m] complex128, g[b, i, j] = g_ij̄
  at::Tensor dg;  // [B, m, m, m] complex128, dg[b, a, i, j] = ∂_a g_ij̄
};

// The heads on the network outputs v: [B, m²] real (row-major v_ij) and g_fs: [B, m, m] complex128 (unused by
// Free) → g: [B, m, m] complex128.
at::Tensor free_metric_head(FreeMetricHead head, const at::Tensor& v, const at::Tensor& g_fs);
// With derivatives: dv: [B, m, m²] complex128 (∂_a v); dg_fs: [B, m, m, m] complex128 (∂_a g_FS,ij̄).
HermitianJet free_metric_head_jet(FreeMetricHead head, const at::Tensor& v, const at::Tensor& dv,
                                  const at::Tensor& g_fs, const at::Tensor& dg_fs);

// ∂_a F = Σ_I P_a^I ∂_I F of any complex function of the homogeneous coordinates by reverse-mode autograd.
// fn: z [B, N+1] complex128 → [B, S...] complex128, differentiable; z: [B, N+1] complex128; pullback: [B, m, N+1]
// complex128. Returns [B, m, S...] complex128 (differentiable in fn's parameters when create_graph).
at::Tensor holomorphic_derivative_by_autograd(const std::function<at::Tensor(const at::Tensor&)>& fn,
                                              const at::Tensor& z, const at::Tensor& pullback, bool create_graph);

struct FreeCYMetricConfig {
  FreeMetricHead head = FreeMetricHead::Multiplicative;
  PhiInputs inputs = PhiInputs::Invariant;
  std::vector<int64_t> hidden{64, 64, 64};
  Activation activation = Activation::Gelu;
  Parameterisation parameterisation = Parameterisation::Standard;
  double sigma_w = 1.0;
  double sigma_b = 0.1;
  // Zero the output layer: v ≡ 0, so additive and multiplicative start exactly at g_FS and free at g = identity.
  bool zero_output_layer = true;
  uint64_t seed = 0;
  at::ScalarType dtype = at::kDouble;  // network dtype: kDouble or kFloat (g is returned in complex128)
};

class FreeCYMetric {
 public:
  // n_coords: N+1 of the ambient P^N (5 for the quintic); m = N − 1, m² network outputs.
  FreeCYMetric(const FreeCYMetricConfig& config, int64_t n_coords);

  // inputs: [B, n_in] network inputs in the model's dtype (phi_input_jet(...).select(1, 0)) → v: [B, m²] float64.
  at::Tensor outputs(const at::Tensor& inputs) const;
  // g: [B, m, m] complex128 from inputs [B, n_in] and g_fs [B, m, m] complex128.
  at::Tensor metric(const at::Tensor& inputs, const at::Tensor& g_fs) const;
  // g and ∂_a g from the input jet (phi_input_jet in the model's dtype; rows 0..2m are read: value, Re ∂_a x,
  // Im ∂_a x): [B, ≥ 1 + 2m, n_in]; g_fs: [B, m, m]; dg_fs: [B, m, m, m] complex128.
  HermitianJet metric_jet(const at::Tensor& input_jet, const at::Tensor& g_fs, const at::Tensor& dg_fs) const;
  // g as a differentiable function of z: [B, N+1] complex128 in the fixed chart (patch, eliminated: [B];
  // local_indices: [B, m] int64), everything rebuilt from z (pullback, g_FS with modulus t, inputs).
  at::Tensor metric_of_z(const Hypersurface& surface, const at::Tensor& z, const at::Tensor& patch,
                         const at::Tensor& eliminated, const at::Tensor& local_indices, double t = 1.0) const;

  const Mlp& mlp() const { return mlp_; }
  std::vector<at::Tensor> parameters() const { return mlp_.parameters(); }
  const FreeCYMetricConfig& config() const { return config_; }
  int64_t n_coords() const { return n_coords_; }
  int64_t dim() const { return n_coords_ - 2; }

 private:
  FreeCYMetricConfig config_;
  int64_t n_coords_;
  Mlp mlp_;
};

}  // namespace nmflow
