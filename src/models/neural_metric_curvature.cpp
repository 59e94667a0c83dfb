#include "models/neural_metric_curvature.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <vector>

#include "common/error.h"

namespace nmflow {

int64_t default_curvature_chunk(int64_t dim) {
  constexpr int64_t kChunkValues = int64_t{1} << 18;  // 2 MB of float64 jet
  const int64_t per_point = dim * dim * (1 + dim + dim * dim);
  return std::max<int64_t>(64, kChunkValues / std::max<int64_t>(1, per_point));
}

FusedCurvature neural_metric_curvature(const NeuralMetric& metric, const at::Tensor& x, int64_t chunk) {
  const int64_t n = metric.head().dim;
  NMFLOW_CHECK(x.dim() == 2 && x.size(1) == n, "neural_metric_curvature: x must be [B, ", n, "], got ", x.sizes());
  NMFLOW_CHECK(chunk >= 0, "neural_metric_curvature: chunk must be ≥ 1 point (or 0 for the default), got ", chunk);
  const int64_t step = chunk == 0 ? default_curvature_chunk(n) : chunk;
  const at::NoGradGuard no_grad;
  std::vector<at::Tensor> ricci, scalar, norm;
  for (int64_t begin = 0; begin < x.size(0); begin += step) {
    const FusedCurvature part = fused_curvature(metric.jet(x.narrow(0, begin, std::min(step, x.size(0) - begin))));
    ricci.push_back(part.ricci);
    scalar.push_back(part.scalar);
    norm.push_back(part.ricci_norm_squared);
  }
  if (ricci.empty()) {  // no points: the shapes of an empty batch
    return fused_curvature(metric.jet(x));
  }
  if (ricci.size() == 1) return {ricci[0], scalar[0], norm[0]};
  return {at::cat(ricci), at::cat(scalar), at::cat(norm)};
}

}  // namespace nmflow
