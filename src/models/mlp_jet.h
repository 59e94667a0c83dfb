#pragma once
// Forward-mode Taylor jets of an Mlp with respect to its inputs (docs/design.md §7): the value and all partial
// derivatives up to order K (≤ 4) are carried layer by layer as batched tensor ops —
//   dense  z = s_w W h + s_b b:  ∂_α z = s_w W ∂_α h  (one GEMM over all jet rows at once),
//   φ      h = φ(z):             ∂_α h = Σ_{set partitions π of α} φ^(|π|)(z) Π_{B∈π} ∂_{α_B} z  (Faà di Bruno;
//                                order 2: ∂_ab h = φ''(z) ∂_a z ∂_b z + φ'(z) ∂_ab z).
// Each symmetric derivative is stored once (packed rows, models/multi_index.h). Everything is ordinary ATen ops,
// so autograd flows through the jet to the parameters: a loss on curvature can be trained.
#include <cstdint>

#include <ATen/core/Tensor.h>

#include "models/mlp.h"

namespace nmflow {

// Packed jet of every output.
struct MlpTaylorJet {
  at::Tensor value;        // [B, O]
  at::Tensor derivatives;  // [B, M, O]: row r holds ∂_{index(r)} f for the rows of multi_index_table(dim, order)
  int64_t dim = 0;         // n, the number of inputs differentiated
  int64_t order = 0;
};

// x: [B, n] with n = mlp.input_dim(), same dtype as the network. order: 1..4 (relu: 1 only; throws otherwise).
// Cost per layer: one [B·M, n_in] × [n_in, n_out] GEMM plus elementwise work, M = Σ_{k≤order} C(n+k−1, k).
MlpTaylorJet mlp_taylor_jet(const Mlp& mlp, const at::Tensor& x, int64_t order);

// The order-2 jet as the fused trunk produces it: [B, 1 + M, O], row 0 the value, rows 1 … M the rows of
// multi_index_table(n, 2) (∂_a f, then the packed ∂_a∂_b f). mlp_taylor_jet(…, 2) returns views of this tensor;
// metric heads read it directly (metric_jet_from_packed) instead of expanding it to full tensors first.
at::Tensor mlp_jet2_packed(const Mlp& mlp, const at::Tensor& x);

// The full symmetric order-k derivative tensor from a packed jet: [B, O, n, …, n] (k trailing n's),
// [b, o, a1, …, ak] = ∂_{a1}…∂_{ak} f_o(x_b).
at::Tensor full_derivative(const MlpTaylorJet& jet, int64_t k);

// The 2-jet of every output, as full tensors.
struct MlpJet2 {
  at::Tensor value;  // [B, O]
  at::Tensor grad;   // [B, O, n]     grad[b,o,a]   = ∂_a f_o
  at::Tensor hess;   // [B, O, n, n]  hess[b,o,a,c] = ∂_a ∂_c f_o
};
MlpJet2 mlp_jet2(const Mlp& mlp, const at::Tensor& x);  // x: [B, n]
// The same from a packed 2-jet [B, 1 + M, O] of mlp_jet2_packed (n inputs).
MlpJet2 jet2_from_packed(const at::Tensor& packed, int64_t n);

// The 4-jet of a scalar network (output_dim = 1), e.g. a Kähler potential φ whose Ricci curvature needs ∂⁴φ.
struct ScalarJet4 {
  at::Tensor value;  // [B]
  at::Tensor d1;     // [B, n]
  at::Tensor d2;     // [B, n, n]
  at::Tensor d3;     // [B, n, n, n]
  at::Tensor d4;     // [B, n, n, n, n]
};
ScalarJet4 mlp_scalar_jet4(const Mlp& mlp, const at::Tensor& x);  // x: [B, n]

}  // namespace nmflow
