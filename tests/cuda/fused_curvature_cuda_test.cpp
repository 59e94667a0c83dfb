// The CUDA fused curvature kernels against the CPU kernels (same per-point math, curvature_math.h), which
// tests/geometry/fused_curvature_test.cpp checks against the reference ops.
#include <ATen/ATen.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <catch2/catch.hpp>
#include <torch/csrc/autograd/autograd.h>

#include "geometry/curvature/fused_curvature.h"
#include "support/random_jet.h"
#include "support/tolerance.h"

using nmflow::MetricJet;
using nmflow::test::random_jet;
using nmflow::test::requiring_grad;

namespace {

MetricJet to(const MetricJet& jet, const at::TensorOptions& options) {
  return MetricJet{jet.g.to(options), jet.dg.to(options), jet.d2g.to(options)};
}

// Gradient of Σ v_ricci·Ric + Σ v_scalar·R + Σ v_norm·|Ric|² with respect to the jet, on the jet's device.
MetricJet fused_gradient(const MetricJet& jet, const at::Tensor& v_ricci, const at::Tensor& v_scalar,
                         const at::Tensor& v_norm) {
  const MetricJet x = requiring_grad(jet);
  const auto c = nmflow::fused_curvature(x);
  const at::Tensor loss = (c.ricci * v_ricci.to(jet.g.device())).sum() +
                          (c.scalar * v_scalar.to(jet.g.device())).sum() +
                          (c.ricci_norm_squared * v_norm.to(jet.g.device())).sum();
  const auto grads = torch::autograd::grad({loss}, {x.g, x.dg, x.d2g});
  return MetricJet{grads[0], grads[1], grads[2]};
}

}  // namespace

TEST_CASE("CUDA fused curvature equals the CPU kernel in float64 (n = 2..6)", "[cuda]") {
  at::manual_seed(21);
  const auto cuda = at::TensorOptions().device(at::kCUDA).dtype(at::kDouble);
  for (int64_t n = 2; n <= 6; ++n) {
    INFO("n = " << n);
    const MetricJet jet = random_jet(300, n);  // more than one block of 128 threads, last block partial
    const auto cpu = nmflow::fused_curvature(jet);
    const auto gpu = nmflow::fused_curvature(to(jet, cuda));
    REQUIRE(gpu.ricci.is_cuda());
    CHECK_CLOSE(gpu.ricci, cpu.ricci, 1e-12);
    CHECK_CLOSE(gpu.scalar, cpu.scalar, 1e-12);
    CHECK_CLOSE(gpu.ricci_norm_squared, cpu.ricci_norm_squared, 1e-12);
  }
}

TEST_CASE("CUDA fused backward equals the CPU backward in float64 (n = 2..6)", "[cuda]") {
  at::manual_seed(22);
  const auto cuda = at::TensorOptions().device(at::kCUDA).dtype(at::kDouble);
  for (int64_t n = 2; n <= 6; ++n) {
    INFO("n = " << n);
    const MetricJet jet = random_jet(300, n);
    const at::Tensor v_ricci = at::randn({300, n, n}, at::kDouble);
    const at::Tensor v_scalar = at::randn({300}, at::kDouble);
    const at::Tensor v_norm = at::randn({300}, at::kDouble);
    const MetricJet cpu = fused_gradient(jet, v_ricci, v_scalar, v_norm);
    const MetricJet gpu = fused_gradient(to(jet, cuda), v_ricci, v_scalar, v_norm);
    REQUIRE(gpu.d2g.is_cuda());
    CHECK_CLOSE(gpu.g, cpu.g, 1e-12);
    CHECK_CLOSE(gpu.dg, cpu.dg, 1e-12);
    CHECK_CLOSE(gpu.d2g, cpu.d2g, 1e-12);
  }
}

TEST_CASE("CUDA fused curvature in float32 agrees with the CPU float32 kernel", "[cuda]") {
  at::manual_seed(23);
  const auto cpu32 = at::TensorOptions().dtype(at::kFloat);
  const auto cuda32 = at::TensorOptions().device(at::kCUDA).dtype(at::kFloat);
  for (int64_t n = 2; n <= 6; ++n) {
    INFO("n = " << n);
    const MetricJet jet = random_jet(200, n);
    const auto cpu = nmflow::fused_curvature(to(jet, cpu32));
    const auto gpu = nmflow::fused_curvature(to(jet, cuda32));
    CHECK_CLOSE(gpu.ricci, cpu.ricci, 1e-5);
    CHECK_CLOSE(gpu.scalar, cpu.scalar, 1e-5);
  }
}

TEST_CASE("CUDA fused curvature runs on the current (non-default) stream and handles an empty batch", "[cuda]") {
  at::manual_seed(24);
  const auto cuda = at::TensorOptions().device(at::kCUDA).dtype(at::kDouble);
  const MetricJet jet = random_jet(1000, 4);
  const auto cpu = nmflow::fused_curvature(jet);
  const c10::cuda::CUDAStream stream = c10::cuda::getStreamFromPool();
  at::Tensor ricci;
  {
    const c10::cuda::CUDAStreamGuard guard(stream);
    ricci = nmflow::fused_curvature(to(jet, cuda)).ricci;
    stream.synchronize();
  }
  CHECK_CLOSE(ricci, cpu.ricci, 1e-12);

  const auto empty = nmflow::fused_curvature(to(random_jet(0, 3), cuda));
  CHECK(empty.ricci.sizes() == at::IntArrayRef({0, 3, 3}));
}
