// The CUDA fused metric-NTK kernel (cuda/ntk_contraction.cu) against the CPU tile kernel (same per-block math,
// ntk/ntk_contraction_math.h), which tests/ntk/fused_ntk_test.cpp checks against the Jacobian contraction.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <vector>

#include "models/neural_metric.h"
#include "ntk/fused_ntk.h"
#include "support/tolerance.h"

using nmflow::MetricHeadKind;
using nmflow::NeuralMetric;

namespace {

NeuralMetric make_model(MetricHeadKind kind, int64_t n, std::vector<int64_t> hidden, nmflow::Activation activation,
                        at::ScalarType dtype) {
  nmflow::MlpConfig trunk;
  trunk.input_dim = n;
  trunk.hidden = std::move(hidden);
  trunk.activation = activation;
  trunk.parameterisation = nmflow::Parameterisation::Ntk;
  trunk.sigma_w = 1.3;
  trunk.sigma_b = 0.4;
  trunk.seed = 4;
  trunk.dtype = dtype;
  nmflow::MetricHead head;
  head.kind = kind;
  head.dim = n;
  return NeuralMetric(trunk, head);
}

NeuralMetric on_cuda(const NeuralMetric& model) {
  NeuralMetric copy = model;
  copy.trunk().to(at::Device(at::kCUDA));
  return copy;
}

}  // namespace

TEST_CASE("CUDA fused metric-NTK equals the CPU fused kernel in float64", "[cuda]") {
  at::manual_seed(41);
  struct Case {
    MetricHeadKind head;
    nmflow::Activation activation;
    int64_t n;
    std::vector<int64_t> hidden;
  };
  // Widths 70 and 33 are not multiples of the 16-wide shared-memory slice; n = 2, 3, 4 give p = 3, 6, 10, so
  // 64-row tiles cut through points; 150 and 77 points leave partial tiles on both sides.
  const std::vector<Case> cases{
      {MetricHeadKind::Symmetric, nmflow::Activation::Tanh, 3, {64, 64, 64}},
      {MetricHeadKind::Symmetric, nmflow::Activation::Relu, 2, {70, 33}},
      {MetricHeadKind::FreeSpd, nmflow::Activation::Gelu, 4, {33, 70}},
  };
  for (const Case& c : cases) {
    INFO("head " << nmflow::metric_head_name(c.head) << ", n = " << c.n);
    const NeuralMetric model = make_model(c.head, c.n, c.hidden, c.activation, at::kDouble);
    const NeuralMetric gpu_model = on_cuda(model);
    const at::Tensor x = at::randn({150, c.n}, at::kDouble);
    const at::Tensor x2 = at::randn({77, c.n}, at::kDouble);
    const at::Tensor gpu = nmflow::fused_metric_ntk(gpu_model, x.cuda(), x2.cuda());
    REQUIRE(gpu.is_cuda());
    CHECK_CLOSE(gpu.cpu(), nmflow::fused_metric_ntk(model, x, x2), 1e-12);
    const at::Tensor x_gpu = x.cuda();
    CHECK_CLOSE(nmflow::fused_metric_ntk(gpu_model, x_gpu, x_gpu).cpu(), nmflow::fused_metric_ntk(model, x, x), 1e-12);
  }
}

TEST_CASE("CUDA fused metric-NTK in float32 equals the CPU kernel to float32 accuracy", "[cuda]") {
  at::manual_seed(42);
  const NeuralMetric model = make_model(MetricHeadKind::Symmetric, 3, {64, 64}, nmflow::Activation::Tanh, at::kFloat);
  const at::Tensor x = at::randn({100, 3}, at::kFloat);
  const at::Tensor x2 = at::randn({45, 3}, at::kFloat);
  const at::Tensor gpu = nmflow::fused_metric_ntk(on_cuda(model), x.cuda(), x2.cuda());
  REQUIRE(gpu.scalar_type() == at::kFloat);
  CHECK_CLOSE(gpu.cpu(), nmflow::fused_metric_ntk(model, x, x2), 1e-5);
}
