// tile_gemm_cpu's kernels for x86-64-v3 (AVX2 + FMA, 16 ymm registers): the AVX-512 kernels' scheme on 4-wide
// vectors — an MR × 4·NV block of C in MR·NV registers, per k NV loads of B's row, MR broadcasts of A's column and
// MR·NV fused multiply-adds, in k order — so every element of C is the same sequence of FMAs and the result is the
// AVX-512 kernel's bit for bit (tests/models/tile_gemm_test.cpp runs at NMFLOW_CPU_LEVEL=3 too).
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "models/tile_gemm_operands.h"

#if defined(__GNUC__) && defined(__x86_64__)
#define NMFLOW_AVX2_KERNEL __attribute__((target("avx2,fma")))
#define NMFLOW_AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) inline

namespace nmflow::tile_gemm {

namespace {

// Lanes of the last vector of a row that exist: the first `tail` of 4 (maskload/maskstore read the sign bit).
NMFLOW_AVX2_INLINE __m256i tail_mask(int64_t tail) {
  return _mm256_cmpgt_epi64(_mm256_set1_epi64x(tail), _mm256_setr_epi64x(0, 1, 2, 3));
}

// 6 × 8 at most: 12 accumulators + 2 rows of B + 1 broadcast of the 16 registers.
template <int MR, int NV, bool kPartial>
NMFLOW_AVX2_INLINE void block_kernel(const GemmOperands& op, int64_t i0, int64_t j0, __m256i last) {
  const double* a = op.a + i0 * op.a_row;
  const double* b = op.b + j0;
  double* c = op.c + i0 * op.ldc + j0;
  __m256d acc[MR][NV];
  for (int i = 0; i < MR; ++i) {
    for (int v = 0; v < NV; ++v) {
      const double* source = c + i * op.ldc + 4 * v;
      acc[i][v] = !op.accumulate              ? _mm256_setzero_pd()
                  : (kPartial && v + 1 == NV) ? _mm256_maskload_pd(source, last)
                                              : _mm256_loadu_pd(source);
    }
  }
  for (int64_t k = 0; k < op.k; ++k) {
    __m256d row[NV];
    for (int v = 0; v < NV; ++v) {
      const double* source = b + k * op.ldb + 4 * v;
      row[v] = (kPartial && v + 1 == NV) ? _mm256_maskload_pd(source, last) : _mm256_loadu_pd(source);
    }
    for (int i = 0; i < MR; ++i) {
      const __m256d a_ik = _mm256_broadcast_sd(a + i * op.a_row + k * op.a_col);
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_fmadd_pd(a_ik, row[v], acc[i][v]);
    }
  }
  for (int i = 0; i < MR; ++i) {
    for (int v = 0; v < NV; ++v) {
      double* target = c + i * op.ldc + 4 * v;
      if (kPartial && v + 1 == NV) {
        _mm256_maskstore_pd(target, last, acc[i][v]);
      } else {
        _mm256_storeu_pd(target, acc[i][v]);
      }
    }
  }
}

// Rows i0 … i0 + MR − 1 of C, in column blocks of 8.
template <int MR>
NMFLOW_AVX2_INLINE void row_block(const GemmOperands& op, int64_t i0) {
  for (int64_t j0 = 0; j0 < op.n; j0 += 8) {
    const int64_t columns = std::min<int64_t>(8, op.n - j0);
    const __m256i last = tail_mask(columns - 4 * ((columns - 1) / 4));
    if (columns == 8) {
      block_kernel<MR, 2, false>(op, i0, j0, last);
    } else if (columns > 4) {
      block_kernel<MR, 2, true>(op, i0, j0, last);
    } else if (columns == 4) {
      block_kernel<MR, 1, false>(op, i0, j0, last);
    } else {
      block_kernel<MR, 1, true>(op, i0, j0, last);
    }
  }
}

// Σ_k x_k y_k in eight partial sums (k mod 8: two 4-wide accumulators), then dot_avx512's fixed pairwise tree.
NMFLOW_AVX2_INLINE double dot_avx2(const double* x, const double* y, int64_t length) {
  const int64_t full = length / 8 * 8;
  __m256d low = _mm256_setzero_pd(), high = _mm256_setzero_pd();
  for (int64_t k = 0; k < full; k += 8) {
    low = _mm256_fmadd_pd(_mm256_loadu_pd(x + k), _mm256_loadu_pd(y + k), low);
    high = _mm256_fmadd_pd(_mm256_loadu_pd(x + k + 4), _mm256_loadu_pd(y + k + 4), high);
  }
  double lanes[8];
  _mm256_storeu_pd(lanes, low);
  _mm256_storeu_pd(lanes + 4, high);
  // The AVX-512 kernel's masked tail: one more FMA into every lane, 0·0 beyond the tail (which turns a −0 lane into
  // +0, so it is done here too).
  if (length > full) {
    for (int l = 0; l < 8; ++l) {
      const bool exists = full + l < length;
      lanes[l] = __builtin_fma(exists ? x[full + l] : 0.0, exists ? y[full + l] : 0.0, lanes[l]);
    }
  }
  return ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
}

}  // namespace

NMFLOW_AVX2_KERNEL void gemm_avx2(const GemmOperands& op) {
  constexpr int64_t kRows = 6;
  int64_t i0 = 0;
  for (; i0 + kRows <= op.m; i0 += kRows) row_block<kRows>(op, i0);
  switch (op.m - i0) {
    case 1: row_block<1>(op, i0); break;
    case 2: row_block<2>(op, i0); break;
    case 3: row_block<3>(op, i0); break;
    case 4: row_block<4>(op, i0); break;
    case 5: row_block<5>(op, i0); break;
    default: break;
  }
}

NMFLOW_AVX2_KERNEL void narrow_gemm_avx2(const GemmOperands& op) {
  const std::vector<double> columns = tile_gemm::b_columns(op);
  for (int64_t i = 0; i < op.m; ++i) {
    const double* a_row = op.a + i * op.a_row;
    double* c_row = op.c + i * op.ldc;
    for (int64_t j = 0; j < op.n; ++j) {
      const double value = dot_avx2(a_row, columns.data() + j * op.k, op.k);
      c_row[j] = op.accumulate ? c_row[j] + value : value;
    }
  }
}

}  // namespace nmflow::tile_gemm

#endif
