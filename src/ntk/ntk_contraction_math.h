#pragma once
// Per-block math of the fused metric-NTK contraction (fused_ntk.h), written once for the CPU tile loop (g++) and
// the CUDA kernel (cuda/ntk_contraction.cu). The structured form (structured_ntk.h, docs/design.md §5 item 3):
//   Θ[r, c] = Σ_l K_l(b(r), b'(c)) · D_l[r, c],
//   K_l(b, b') = s_w,l² h_{l−1}(x_b)·h_{l−1}(x'_b') + s_b,l²          (the per-layer input kernel),
//   D_l[r, c]  = Σ_i δ_l[r, i] δ'_l[c, i],   r = b·p + P, c = b'·p + Q   (the per-layer component kernel),
// with b(r) = r / p the point of row r. The fused kernel keeps an MR×NR block of Θ in registers, runs the inner
// product D_l over i for every layer l in turn and scales it by K_l before adding, so neither K_l [B, B'] nor
// D_l [B·p, B'·p] is ever stored.
#include <cstdint>

#include "common/host_device.h"

namespace nmflow::ntk_math {

// acc[rr·NR + cc] += Σ_{i < depth} a[i·lda + rr] · b[i·ldb + cc] for rr < MR, cc < NR.
// a, b: the two δ operands stored "k-major" (inner index i slowest): on the CPU packed panels of MR (NR) rows
// (lda = MR, ldb = NR, contiguous streams); on the GPU a shared-memory tile (lda = ldb = tile width). The cc loop
// has unit stride in b and acc, so it vectorises; acc is a fixed-size local, so it lives in registers.
template <typename T, int MR, int NR>
NMFLOW_HOST_DEVICE void micro_product(const T* __restrict__ a, int64_t lda, const T* __restrict__ b, int64_t ldb,
                                      int64_t depth, T* __restrict__ acc) {
  for (int64_t i = 0; i < depth; ++i) {
    const T* a_i = a + i * lda;
    const T* b_i = b + i * ldb;
#if defined(__CUDACC__)
#pragma unroll
#endif
    for (int rr = 0; rr < MR; ++rr) {
      const T a_ri = a_i[rr];
#if defined(__CUDACC__)
#pragma unroll
#endif
      for (int cc = 0; cc < NR; ++cc) {
        acc[rr * NR + cc] += a_ri * b_i[cc];
      }
    }
  }
}

// K_l(b, b') = s_w² h·h' + s_b²; h, h2: [width] (one point's layer input on each side).
template <typename T>
NMFLOW_HOST_DEVICE T input_kernel(const T* __restrict__ h, const T* __restrict__ h2, int64_t width, T weight_scale2,
                                  T bias_scale2) {
  T dot = T(0);
  for (int64_t j = 0; j < width; ++j) {
    dot += h[j] * h2[j];
  }
  return weight_scale2 * dot + bias_scale2;
}

}  // namespace nmflow::ntk_math
