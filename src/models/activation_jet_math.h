#pragma once
// Per-unit math of the fused second-order activation jet (src/models/activation_jet.h), shared by the CPU loop and
// the CUDA kernel (cuda/activation_jet.cu) so both run the same formulas.
//
// A jet of pre-activations z is stored as R rows per point: row 0 the value z, rows 1..R−1 derivatives. Through
// h = σ(z) (Faà di Bruno to second order, docs/design.md §7):
//   h       = σ(z)
//   ∂_r h   = σ'(z) ∂_r z                                   every derivative row r ≥ 1,
//   ∂_t h  += σ''(z) · c · ∂_l z · ∂_r z                    for each product term (t, l, r, c),
// where the terms list which first-order rows multiply into which second-order row: ∂_a∂_b h gets ∂_a z ∂_b z
// (real 2-jets), ∂_a∂_b̄ h gets ∂_a z conj(∂_b z) split into real and imaginary rows (Kähler jets).
//
// Backward (vector–Jacobian product) with upstream gradient G of the output rows:
//   Gz_r    = σ' G_r + Σ_{terms (t, l, r, c)} σ'' c ∂_l z G_t  (and symmetrically for l)      r ≥ 1,
//   Gz_0    = σ' G_0 + σ'' Σ_{r≥1} ∂_r z G_r + σ''' Σ_terms c ∂_l z ∂_r z G_t.
#include <cstdint>

#include "common/host_device.h"

namespace nmflow {

// One product term: row `target` += coefficient · σ'' · row `left` · row `right` (row indices within a point).
template <typename T>
struct JetProductTerm {
  int32_t target;
  int32_t left;
  int32_t right;
  T coefficient;
};

// One point, a run of `lanes` consecutive units (columns): `in`/`out` point at row 0 of the run's first column,
// rows are `row_stride` apart; s0, s1, s2 hold σ, σ', σ'' of the run's z. The CPU path calls it with the whole
// width (the lane loops vectorise: every loop writes one array, and the arrays do not overlap — hence restrict),
// the CUDA kernel with one lane per thread.
template <typename T>
NMFLOW_HOST_DEVICE void activation_jet_forward_lanes(const T* __restrict__ in, T* __restrict__ out,
                                                     int64_t row_stride, int rows, int lanes,
                                                     const T* __restrict__ s0, const T* __restrict__ s1,
                                                     const T* __restrict__ s2, const JetProductTerm<T>* terms,
                                                     int term_count) {
  for (int w = 0; w < lanes; ++w) {
    out[w] = s0[w];
  }
  for (int r = 1; r < rows; ++r) {
    const T* in_r = in + r * row_stride;
    T* out_r = out + r * row_stride;
    for (int w = 0; w < lanes; ++w) {
      out_r[w] = s1[w] * in_r[w];
    }
  }
  for (int k = 0; k < term_count; ++k) {
    const JetProductTerm<T> term = terms[k];
    const T* left = in + term.left * row_stride;
    const T* right = in + term.right * row_stride;
    T* target = out + term.target * row_stride;
    for (int w = 0; w < lanes; ++w) {
      target[w] += term.coefficient * s2[w] * left[w] * right[w];
    }
  }
}

// Backward of the same run: grad_in (∂L/∂ pre-activation rows) from grad_out (∂L/∂ output rows); s1, s2, s3 hold
// σ', σ'', σ''' of the run's z. Row 0 of grad_in is the gradient with respect to z (and so to the bias). A term's
// two factors may be the same row (∂_a∂_a), so its two updates run as separate loops.
template <typename T>
NMFLOW_HOST_DEVICE void activation_jet_backward_lanes(const T* __restrict__ in, const T* __restrict__ grad_out,
                                                      T* __restrict__ grad_in, int64_t row_stride, int rows,
                                                      int lanes, const T* __restrict__ s1, const T* __restrict__ s2,
                                                      const T* __restrict__ s3, const JetProductTerm<T>* terms,
                                                      int term_count) {
  T* __restrict__ g0 = grad_in;  // row 0: ∂L/∂z
  for (int w = 0; w < lanes; ++w) {
    g0[w] = s1[w] * grad_out[w];
  }
  for (int r = 1; r < rows; ++r) {
    const T* in_r = in + r * row_stride;
    const T* g_r = grad_out + r * row_stride;
    T* gi_r = grad_in + r * row_stride;
    for (int w = 0; w < lanes; ++w) {
      gi_r[w] = s1[w] * g_r[w];
    }
    for (int w = 0; w < lanes; ++w) {
      g0[w] += s2[w] * in_r[w] * g_r[w];
    }
  }
  for (int k = 0; k < term_count; ++k) {
    const JetProductTerm<T> term = terms[k];
    const T c = term.coefficient;
    const T* left = in + term.left * row_stride;
    const T* right = in + term.right * row_stride;
    const T* g_t = grad_out + term.target * row_stride;
    T* gi_left = grad_in + term.left * row_stride;
    T* gi_right = grad_in + term.right * row_stride;
    for (int w = 0; w < lanes; ++w) {
      g0[w] += c * s3[w] * g_t[w] * left[w] * right[w];
    }
    for (int w = 0; w < lanes; ++w) {
      gi_left[w] += c * s2[w] * g_t[w] * right[w];
    }
    for (int w = 0; w < lanes; ++w) {
      gi_right[w] += c * s2[w] * g_t[w] * left[w];
    }
  }
}

}  // namespace nmflow
