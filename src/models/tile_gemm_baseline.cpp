// tile_gemm_cpu's kernel below x86-64-v3 (and on CPUs without nmflow's vector kernels): each C(i, j) is one
// sequence over k = 0 … K−1, in order, of a rounded product and a rounded sum — no fused multiply-add, which
// baseline x86-64 lacks — so, like the vector kernels, a row of C depends neither on M, nor on the block or the
// thread that computed it. ATen's mm (MKL) promises neither: its result for a row can change with the number of
// threads and the call's shape (MKL's Intel code paths split the work differently).
#include <cstdint>
#include <vector>

#include "models/tile_gemm_operands.h"

namespace nmflow::tile_gemm {

void gemm_baseline(const GemmOperands& op) {
  if (op.n <= 2) {
    // A narrow C (the scalar head's output layer): one in-order sum per element, k innermost — the same operations
    // in the same order as the row loop below, without its per-k pass over a one- or two-element row.
    for (int64_t i = 0; i < op.m; ++i) {
      const double* a_row = op.a + i * op.a_row;
      double* c_row = op.c + i * op.ldc;
      for (int64_t j = 0; j < op.n; ++j) {
        double sum = op.accumulate ? c_row[j] : 0.0;
        for (int64_t k = 0; k < op.k; ++k) sum = sum + a_row[k * op.a_col] * op.b[k * op.ldb + j];
        c_row[j] = sum;
      }
    }
    return;
  }
  std::vector<double> acc(static_cast<size_t>(op.n));
  for (int64_t i = 0; i < op.m; ++i) {
    double* c_row = op.c + i * op.ldc;
    for (int64_t j = 0; j < op.n; ++j) acc[static_cast<size_t>(j)] = op.accumulate ? c_row[j] : 0.0;
    const double* a_row = op.a + i * op.a_row;
    for (int64_t k = 0; k < op.k; ++k) {
      const double a_ik = a_row[k * op.a_col];
      const double* b_row = op.b + k * op.ldb;
      double* out = acc.data();
      // Unit-stride in j: the compiler's vector loop, one product and one sum per element and k.
      for (int64_t j = 0; j < op.n; ++j) out[j] = out[j] + a_ik * b_row[j];
    }
    for (int64_t j = 0; j < op.n; ++j) c_row[j] = acc[static_cast<size_t>(j)];
  }
}

}  // namespace nmflow::tile_gemm
