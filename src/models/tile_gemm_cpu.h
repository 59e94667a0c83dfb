#pragma once
// The jet trunk's tile GEMMs (jet_trunk.cpp) on one core: C = A·B or C += A·B with A of a few hundred to a few
// thousand rows and K, N ≤ a few hundred. For float64 on a CPU with AVX-512 a register-blocked kernel computes them
// straight from the operands as they lie in memory: MKL's GEMM packs A and B into its panel format on every call,
// which for K = 64 costs about as much as the multiply, and reaches 40 GFLOP/s on [2048, 64] × [64, 64] where this
// kernel reaches 55 of the core's 58 (docs/BENCHMARKS.md, "Tile GEMM"); on x86-64-v3 (AVX2 + FMA) the same scheme
// on 4-wide vectors gives the same bits (tile_gemm_avx2.cpp); below that a plain loop without FMA
// (tile_gemm_baseline.cpp). float32 uses ATen's mm.
//
// For float64 every element of C is one fixed sequence over k = 0 … K−1 (fused multiply-adds in order at levels 3
// and 4), whatever M, the blocking and the thread count: a row of C does not depend on which tile or thread computed
// it. ATen's mm (MKL) gives no such promise — its rows change with the thread count on Intel CPUs — so every
// float64 GEMM behind a bit-for-bit claim goes through here.
#include <ATen/core/Tensor.h>

namespace nmflow {

// c: [M, N] with unit column stride; a: [M, K], any strides (a transposed view is fine); b: [K, N] with unit column
// stride. Writes a·b into c, or adds it when `accumulate`. All three on the CPU with one dtype; c must not overlap
// a or b.
void tile_gemm_cpu(at::Tensor& c, const at::Tensor& a, const at::Tensor& b, bool accumulate);

// Whether tile_gemm_cpu runs its own kernel for this dtype (float64, on every CPU; else it calls ATen).
bool tile_gemm_cpu_has_kernel(at::ScalarType dtype);

}  // namespace nmflow
