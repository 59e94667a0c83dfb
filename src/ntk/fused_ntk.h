#pragma once
// Fused structured metric-NTK (docs/design.md §5 item 3; docs/ntk.md "Fused method"): the per-layer sum of
//   Θ_PQ(x, x') = Σ_l [ s_w² h_{l−1}(x)·h_{l−1}(x') + s_b² ] · δ_l^P(x)·δ_l^Q(x')
// (structured_ntk.h) evaluated tile by tile: an MR×NR block of Θ stays in registers while every layer's inner
// product is added with its input-kernel factor, so the per-layer [B, B'] and [B·p, B'·p] matrices of the GEMM
// path are never formed and Θ is written once. Per-block math: ntk/ntk_contraction_math.h, shared with the CUDA
// kernel (cuda/ntk_contraction.cu).
//
// CPU: tiles of 96×96 entries over at::parallel_for; micro-kernel 4×8, compiled for AVX-512, AVX2+FMA and
// baseline x86-64 with run-time selection (GCC target_clones). When x and x2 are the same tensor (same storage,
// sizes, strides) Θ is symmetric and only the tiles on and above the diagonal are computed; each off-diagonal tile
// is written twice (Θ and Θᵀ). CUDA: 64×64 tiles in shared memory, 4×4 per thread, every tile computed.
#include <ATen/core/Tensor.h>

#include "models/neural_metric.h"

namespace nmflow {

// x: [B, n], x2: [B', n] (model dtype, model device: CPU or CUDA) → Θ: [B·p, B'·p], layout and sum convention of
// ntk/empirical_ntk.h. Detached. Throws nmflow::Error for CUDA points in a build without the CUDA kernels.
at::Tensor fused_metric_ntk(const NeuralMetric& model, const at::Tensor& x, const at::Tensor& x2);

}  // namespace nmflow
