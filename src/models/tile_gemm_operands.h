#pragma once
// Internal to tile_gemm_cpu: the operands as raw strided pointers, shared by the AVX-512 kernels
// (tile_gemm_cpu.cpp), the AVX2 ones (tile_gemm_avx2.cpp) and the baseline one (tile_gemm_baseline.cpp).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace nmflow::tile_gemm {

// A(i, k) = a[i·a_row + k·a_col], B(k, j) = b[k·ldb + j], C(i, j) = c[i·ldc + j].
struct GemmOperands {
  int64_t m, n, k;
  const double* a;
  int64_t a_row, a_col;
  const double* b;
  int64_t ldb;
  double* c;
  int64_t ldc;
  bool accumulate;
};

// B's columns as contiguous rows, [N][K]: what the narrow kernels' dot products read.
inline std::vector<double> b_columns(const GemmOperands& op) {
  std::vector<double> columns(static_cast<size_t>(op.n * op.k));
  for (int64_t k = 0; k < op.k; ++k) {
    for (int64_t j = 0; j < op.n; ++j) columns[static_cast<size_t>(j * op.k + k)] = op.b[k * op.ldb + j];
  }
  return columns;
}

// The AVX2 + FMA kernels (x86-64-v3), the same element order as the AVX-512 ones, so the same bits: gemm_avx2 runs
// each C(i, j) as fused multiply-adds over k in order; narrow_gemm_avx2 (N ≤ 2, a_col = 1) as eight partial sums
// (k mod 8) and the same fixed tree. Callers check the CPU (cpu_x86_64_level() ≥ 3).
void gemm_avx2(const GemmOperands& op);
void narrow_gemm_avx2(const GemmOperands& op);

// Below x86-64-v3 (tile_gemm_baseline.cpp): each C(i, j) as a rounded product and a rounded sum per k, in k order
// (no FMA), for any N — other bits than the FMA kernels', but again one fixed sequence per element.
void gemm_baseline(const GemmOperands& op);

}  // namespace nmflow::tile_gemm
