#include "models/tile_gemm_cpu.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/avx512.h"
#include "common/cpu_targets.h"
#include "common/error.h"
#include "models/tile_gemm_operands.h"

namespace nmflow {

namespace {

#ifdef NMFLOW_HAVE_AVX512_KERNELS

using tile_gemm::GemmOperands;

// An MR × (8·NV) block of C in MR·NV registers (at most 6 × 4 = 24 of the 32), the last vector of each row masked
// to the columns that exist. Per k: NV loads of B's row, MR broadcasts of A's column, MR·NV FMAs — at MR·NV = 24
// the FMA pipe, not the loads, sets the pace.
template <int MR, int NV>
NMFLOW_AVX512_INLINE void block_kernel(const GemmOperands& op, int64_t i0, int64_t j0, __mmask8 last) {
  const double* a = op.a + i0 * op.a_row;
  const double* b = op.b + j0;
  double* c = op.c + i0 * op.ldc + j0;
  __m512d acc[MR][NV];
  for (int i = 0; i < MR; ++i) {
    for (int v = 0; v < NV; ++v) {
      acc[i][v] = op.accumulate ? _mm512_maskz_loadu_pd(v + 1 == NV ? last : 0xff, c + i * op.ldc + 8 * v)
                                : _mm512_setzero_pd();
    }
  }
  for (int64_t k = 0; k < op.k; ++k) {
    __m512d row[NV];
    for (int v = 0; v < NV; ++v) row[v] = _mm512_maskz_loadu_pd(v + 1 == NV ? last : 0xff, b + k * op.ldb + 8 * v);
    for (int i = 0; i < MR; ++i) {
      const __m512d a_ik = _mm512_set1_pd(a[i * op.a_row + k * op.a_col]);
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_pd(a_ik, row[v], acc[i][v]);
    }
  }
  for (int i = 0; i < MR; ++i) {
    for (int v = 0; v < NV; ++v) _mm512_mask_storeu_pd(c + i * op.ldc + 8 * v, v + 1 == NV ? last : 0xff, acc[i][v]);
  }
}

// Rows i0 … i0 + MR − 1 of C, in column blocks of 32.
template <int MR>
NMFLOW_AVX512_INLINE void row_block(const GemmOperands& op, int64_t i0) {
  for (int64_t j0 = 0; j0 < op.n; j0 += 32) {
    const int64_t columns = std::min<int64_t>(32, op.n - j0);
    const int64_t vectors = (columns + 7) / 8;
    const int64_t tail = columns - 8 * (vectors - 1);
    const auto last = static_cast<__mmask8>((1u << tail) - 1u);
    switch (vectors) {
      case 1:
        block_kernel<MR, 1>(op, i0, j0, last);
        break;
      case 2:
        block_kernel<MR, 2>(op, i0, j0, last);
        break;
      case 3:
        block_kernel<MR, 3>(op, i0, j0, last);
        break;
      default:
        block_kernel<MR, 4>(op, i0, j0, last);
        break;
    }
  }
}

NMFLOW_AVX512_KERNEL void gemm_avx512(const GemmOperands& op) {
  constexpr int64_t kRows = 6;
  int64_t i0 = 0;
  for (; i0 + kRows <= op.m; i0 += kRows) row_block<kRows>(op, i0);
  switch (op.m - i0) {
    case 1:
      row_block<1>(op, i0);
      break;
    case 2:
      row_block<2>(op, i0);
      break;
    case 3:
      row_block<3>(op, i0);
      break;
    case 4:
      row_block<4>(op, i0);
      break;
    case 5:
      row_block<5>(op, i0);
      break;
    default:
      break;
  }
}

// Σ_k x_k y_k in eight partial sums (k mod 8), then a fixed pairwise tree (not _mm512_reduce_add_pd: GCC 12 warns
// inside it about an undefined register it extracts from).
NMFLOW_AVX512_INLINE double dot_avx512(const double* x, const double* y, int64_t length) {
  const int64_t full = length / 8 * 8;
  const auto tail = static_cast<__mmask8>((1u << (length - full)) - 1u);
  __m512d acc = _mm512_setzero_pd();
  for (int64_t k = 0; k < full; k += 8) acc = _mm512_fmadd_pd(_mm512_loadu_pd(x + k), _mm512_loadu_pd(y + k), acc);
  if (tail != 0)
    acc = _mm512_fmadd_pd(_mm512_maskz_loadu_pd(tail, x + full), _mm512_maskz_loadu_pd(tail, y + full), acc);
  double lanes[8];
  _mm512_storeu_pd(lanes, acc);
  return ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
}

// N ≤ 2 with A's rows contiguous (the output layer of a scalar head: N = 1): an 8-wide vector over columns would
// be mostly masked, so each C(i, j) is a dot product of A's row i with B's column j (copied into a contiguous row),
// one row of A at a time. Measured on [2048, 64] · [64, N]: 14 µs per column this way, 44 µs for any N ≤ 8 in the
// blocked kernel, so N ≤ 2 goes here (bench TileGemm/3, /4). Element order differs from gemm_avx512 (eight partial
// sums, then a fixed tree), but it is again one fixed sequence per element, independent of M and of the blocking.
NMFLOW_AVX512_KERNEL void narrow_gemm_avx512(const GemmOperands& op) {
  const std::vector<double> columns = tile_gemm::b_columns(op);
  for (int64_t i = 0; i < op.m; ++i) {
    const double* a_row = op.a + i * op.a_row;
    double* c_row = op.c + i * op.ldc;
    for (int64_t j = 0; j < op.n; ++j) {
      const double value = dot_avx512(a_row, columns.data() + j * op.k, op.k);
      c_row[j] = op.accumulate ? c_row[j] + value : value;
    }
  }
}

#endif  // NMFLOW_HAVE_AVX512_KERNELS

void check_tile_gemm_inputs(const at::Tensor& c, const at::Tensor& a, const at::Tensor& b) {
  NMFLOW_CHECK(a.dim() == 2 && b.dim() == 2 && c.dim() == 2 && a.size(1) == b.size(0) && c.size(0) == a.size(0) &&
                   c.size(1) == b.size(1),
               "tile_gemm_cpu: shapes must be c [M, N] = a [M, K] · b [K, N], got c ", c.sizes(), ", a ", a.sizes(),
               ", b ", b.sizes());
  NMFLOW_CHECK(a.scalar_type() == c.scalar_type() && b.scalar_type() == c.scalar_type(),
               "tile_gemm_cpu: dtypes differ (c ", c.scalar_type(), ", a ", a.scalar_type(), ", b ", b.scalar_type(),
               ")");
  NMFLOW_CHECK(a.device().is_cpu() && b.device().is_cpu() && c.device().is_cpu(),
               "tile_gemm_cpu: all operands must be CPU tensors");
  NMFLOW_CHECK((b.stride(1) == 1 || b.size(1) <= 1) && (c.stride(1) == 1 || c.size(1) <= 1),
               "tile_gemm_cpu: b and c need unit column stride, got strides b ", b.strides(), ", c ", c.strides());
}

}  // namespace

bool tile_gemm_cpu_has_kernel(at::ScalarType dtype) { return dtype == at::kDouble; }

void tile_gemm_cpu(at::Tensor& c, const at::Tensor& a, const at::Tensor& b, bool accumulate) {
  check_tile_gemm_inputs(c, a, b);
  if (c.numel() == 0) return;
  if (a.size(1) == 0) {  // an empty sum
    if (!accumulate) c.zero_();
    return;
  }
  if (tile_gemm_cpu_has_kernel(c.scalar_type())) {
    const tile_gemm::GemmOperands op{a.size(0),
                                     b.size(1),
                                     a.size(1),
                                     a.data_ptr<double>(),
                                     a.stride(0),
                                     a.stride(1),
                                     b.data_ptr<double>(),
                                     b.stride(0),
                                     c.data_ptr<double>(),
                                     c.stride(0),
                                     accumulate};
#ifdef NMFLOW_HAVE_AVX512_KERNELS
    const bool narrow = op.n < 3 && op.a_col == 1;
    if (cpu_has_avx512f()) {
      narrow ? narrow_gemm_avx512(op) : gemm_avx512(op);
      return;
    }
    if (cpu_x86_64_level() >= 3) {  // the same element order on 4-wide vectors (tile_gemm_avx2.cpp)
      narrow ? tile_gemm::narrow_gemm_avx2(op) : tile_gemm::gemm_avx2(op);
      return;
    }
#endif
    tile_gemm::gemm_baseline(op);
    return;
  }
  // float32: ATen's mm, as a raw kernel like nmflow's own — never recorded by autograd (mm_out refuses operands
  // that require grad, as the fused trunk's weights do).
  const at::AutoDispatchBelowADInplaceOrView below_autograd;
  if (accumulate) {
    c.addmm_(a, b);
  } else {
    at::mm_out(c, a, b);
  }
}

}  // namespace nmflow
