#pragma once
// Empirical metric-NTK of the Kähler φ-model (docs/design.md §5; docs/ntk.md, "Hermitian metrics"), its η = det g/|Ω|²
// variant, and the model linearised about its initial parameters (the frozen-kernel control of
// docs/ntk_width_ladder.md).
//
// Layout. g_ab̄ = g_ref,ab̄ + ∂_a∂_b̄ φ is Hermitian m×m, so it has m² real components, packed per point as
//   Re g_ab̄ for a ≤ b (row-major upper triangle, m(m+1)/2 of them), then Im g_ab̄ for a < b (m(m−1)/2)
// — the order of the last m² rows of a Kähler jet (models/kahler_phi_model.h). Θ is a [B·m², B'·m²] matrix, row
// b·m² + P ↔ component P of g(x_b), column b'·m² + Q ↔ component Q of g(x'_b'):
//   Θ_PQ(x, x') = Σ_θ ∂g_P(x)/∂θ ∂g_Q(x')/∂θ,
// a plain sum over every scalar entry θ of model.parameters() (as docs/ntk.md). The components are the matrix
// entries' real and imaginary parts with weight 1 each; note that the Frobenius norm of a Hermitian matrix counts
// the off-diagonal ones twice (|g|² = Σ_a g_aā² + 2 Σ_{a<b} (Re² + Im²)). Only ∂∂̄φ depends on θ, so Θ does not
// depend on g_ref. The output layer's bias shifts φ by a constant and contributes nothing.
//
// Method: Jacobian contraction J Jᵀ, J by one reverse pass per row through the Wirtinger jet (B·m² passes; memory
// B·m²·P). Meant for probe sets of tens of points; for a 1-hidden-layer width-1024 K3 model (P ≈ 18k) 32 points
// cost ~1 s on one core.
#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "models/kahler_phi_model.h"

namespace nmflow {

// g: [B, m, m] complex Hermitian → [B, m²] float64 in the layout above.
at::Tensor pack_hermitian(const at::Tensor& g);
// packed: [B, m²] real → [B, m, m] complex128 Hermitian (inverse of pack_hermitian). Differentiable.
at::Tensor unpack_hermitian(const at::Tensor& packed, int64_t m);

// input_jet: phi_input_jet(points) [B, 1 + 2m + m², n_in] in the model's dtype →
// J: [B·m², P_total] float64, J[b·m² + P, θ] = ∂g_P(x_b)/∂θ, parameters in model.parameters() order, each flattened
// row-major. Detached.
at::Tensor phi_model_metric_jacobian(const KahlerPhiModel& model, const at::Tensor& input_jet);

// input_jet: [B, rows, n_in], input_jet2: [B', rows, n_in] → Θ: [B·m², B'·m²] float64 (layout above). Detached.
at::Tensor phi_model_metric_ntk(const KahlerPhiModel& model, const at::Tensor& input_jet,
                                const at::Tensor& input_jet2);

// ∂η/∂g_P of η = det g/|Ω|² at each point, P in the packed layout. g: [B, m, m] complex Hermitian positive
// definite; omega_sq: [B] → [B, m²] float64. By Jacobi's formula ∂det g/∂g_ij = det g (g⁻¹)_ji, so with h = g⁻¹
// (Hermitian): ∂η/∂g_aā = η h_aa, ∂η/∂Re g_ab̄ = 2η Re h_ab, ∂η/∂Im g_ab̄ = 2η Im h_ab (a < b).
at::Tensor eta_metric_gradient(const at::Tensor& g, const at::Tensor& omega_sq);

// The η-NTK Θ^η(x_b, x'_b') = Σ_PQ D_bP Θ_PQ(x_b, x'_b') D'_b'Q, the kernel of the quantity σ measures (the
// Monge–Ampère loss depends on θ only through η). theta: [B·m², B'·m²]; d: [B, m²], d2: [B', m²]
// (eta_metric_gradient at each set) → [B, B'] float64.
at::Tensor eta_ntk_from_metric_ntk(const at::Tensor& theta, const at::Tensor& d, const at::Tensor& d2);

// The φ-model linearised about parameters θ₀ (Lee et al. 2019): ∂∂̄φ_lin(θ) = ∂∂̄φ(θ₀) + J₀ (θ − θ₀). Its metric-NTK
// is J₀J₀ᵀ = Θ(θ₀) for every θ: the frozen-kernel regime at the network's own finite width. The trainable
// parameters are the displacement δ = θ − θ₀ (zero at construction).
class LinearisedPhiModel {
 public:
  // Copies the current parameters of `model` as θ₀ (later changes to `model` do not affect this object).
  explicit LinearisedPhiModel(const KahlerPhiModel& model);

  // J₀ δ as Hermitian matrices: [B, m, m] complex128 from input_jet [B, rows, n_in] (the model's dtype). A jvp by
  // the double-vjp identity J₀ δ = ∂/∂u (δ · J₀ᵀu); differentiable in δ when create_graph.
  at::Tensor ddbar_displacement(const at::Tensor& input_jet, bool create_graph = true) const;

  // δ: leaf tensors with requires_grad, shapes of model.parameters().
  const std::vector<at::Tensor>& displacement() const { return displacement_; }
  const KahlerPhiModel& base() const { return base_; }

 private:
  KahlerPhiModel base_;  // holds θ₀
  std::vector<at::Tensor> displacement_;
};

}  // namespace nmflow
