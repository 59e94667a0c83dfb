#pragma once
// Ricci tensor, scalar curvature and |Ric|² of a neural metric at many points, for evaluation (no autograd graph):
// fused_curvature(metric.jet(x)) chunk by chunk. The whole batch's jet at once is [B, n, n, n, n] for ∂²g alone —
// 50 MB at n = 6 and 4096 points, written cold and read back cold; chunks of about 2 MB of jet stay in cache
// (timings: docs/BENCHMARKS.md, "Peers", curvature case). For a loss
// to train on, use fused_curvature(metric.jet(x)), which is differentiable.
#include <ATen/core/Tensor.h>

#include <cstdint>

#include "geometry/curvature/fused_curvature.h"
#include "models/neural_metric.h"

namespace nmflow {

// Points per chunk when none is given: about 2^18 jet values (g, ∂g, ∂²g: n² + n³ + n⁴ per point), at least 64.
int64_t default_curvature_chunk(int64_t dim);

// x: [B, n] (n = metric.head().dim, 2..6 as fused_curvature); chunk ≥ 1 points per pass, 0 for
// default_curvature_chunk(n). Results as fused_curvature's, concatenated over the chunks, without autograd history.
FusedCurvature neural_metric_curvature(const NeuralMetric& metric, const at::Tensor& x, int64_t chunk = 0);

}  // namespace nmflow
