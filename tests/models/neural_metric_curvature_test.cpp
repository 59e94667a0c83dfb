#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cstdint>

#include "geometry/autograd_jet.h"
#include "geometry/curvature/curvature_reference.h"
#include "geometry/curvature/fused_curvature.h"
#include "models/neural_metric.h"
#include "models/neural_metric_curvature.h"
#include "support/tolerance.h"

namespace {

nmflow::NeuralMetric symmetric_metric(int64_t n, uint64_t seed) {
  nmflow::MlpConfig trunk;
  trunk.input_dim = n;
  trunk.hidden = {16, 16};
  trunk.activation = nmflow::Activation::Tanh;
  trunk.seed = seed;
  nmflow::MetricHead head;
  head.kind = nmflow::MetricHeadKind::Symmetric;
  head.dim = n;
  head.reference = 2.0 * at::eye(n, at::kDouble);
  return nmflow::NeuralMetric(trunk, head);
}

}  // namespace

TEST_CASE("neural_metric_curvature = the reference curvature of the autograd jet, in chunks of any size",
          "[models][curvature]") {
  for (const int64_t n : {2, 3, 6}) {
    INFO("n = " << n);
    const nmflow::NeuralMetric metric = symmetric_metric(n, 5);
    at::manual_seed(9);
    const at::Tensor x = 0.5 * at::randn({37, n}, at::kDouble);
    // Oracle: LibTorch's reference curvature (docs/design.md §2) of the metric's 2-jet by nested autograd.
    const nmflow::CurvatureReference reference = nmflow::curvature_reference(
        nmflow::jet_by_autograd([&](const at::Tensor& y) { return metric.metric(y); }, x, false));
    for (const int64_t chunk : {0, 1, 7, 37, 100}) {
      INFO("chunk = " << chunk);
      const nmflow::FusedCurvature c = nmflow::neural_metric_curvature(metric, x, chunk);
      CHECK_CLOSE(c.ricci, reference.ricci, 1e-10);
      CHECK_CLOSE(c.scalar, reference.scalar, 1e-10);
      CHECK_CLOSE(c.ricci_norm_squared, nmflow::ricci_norm_squared(reference), 1e-10);
      CHECK_FALSE(c.ricci.requires_grad());
    }
    // Chunking changes nothing: nmflow's tile GEMM (every CPU level) gives each row the same bits whatever the
    // chunk, so every chunk size reproduces the one-pass values bit for bit.
    const nmflow::FusedCurvature whole = nmflow::fused_curvature(metric.jet(x));
    const nmflow::FusedCurvature chunked = nmflow::neural_metric_curvature(metric, x, 7);
    CHECK(at::equal(chunked.ricci, whole.ricci.detach()));
    CHECK(at::equal(chunked.scalar, whole.scalar.detach()));
  }
}

TEST_CASE("neural_metric_curvature: default chunk, an empty batch, and bad inputs named", "[models][curvature]") {
  CHECK(nmflow::default_curvature_chunk(3) == 2240);  // 2^18 / (9 + 27 + 81) jet values per point
  CHECK(nmflow::default_curvature_chunk(6) == 169);   // 2^18 / (36 + 216 + 1296)
  CHECK(nmflow::default_curvature_chunk(64) == 64);   // at least 64 points
  const nmflow::NeuralMetric metric = symmetric_metric(3, 1);
  const nmflow::FusedCurvature empty = nmflow::neural_metric_curvature(metric, at::zeros({0, 3}, at::kDouble));
  CHECK(empty.ricci.sizes() == at::IntArrayRef({0, 3, 3}));
  CHECK(empty.scalar.sizes() == at::IntArrayRef({0}));
  CHECK_THROWS_WITH(nmflow::neural_metric_curvature(metric, at::zeros({4, 2}, at::kDouble)),
                    Catch::Contains("x must be [B, 3], got [4, 2]"));
  CHECK_THROWS_WITH(nmflow::neural_metric_curvature(metric, at::zeros({4, 3}, at::kDouble), -1),
                    Catch::Contains("chunk must be ≥ 1 point"));
}
