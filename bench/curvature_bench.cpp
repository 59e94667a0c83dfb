// Curvature from a metric 2-jet (docs/design.md §2, §7), float64, B = 4096 points, n = 2, 3, 4 (6), on two closed-form
// metrics written as LibTorch functions of x. What each benchmark times (docs/BENCHMARKS.md, "Curvature"):
//   Fused      fused_curvature(jet): the fused CPU kernel, jet given (Ricci, R, |Ric|²).
//   Reference  curvature_reference(jet): the LibTorch einsum ops, jet given (Γ, ∂Γ, Ricci, R).
//   Nested     jet_by_autograd(metric, x) + curvature_reference: x → curvature by nested reverse-mode autograd,
//              the way the peer codes take curvature.
//   JetFused   jet_by_autograd(metric, x) + fused_curvature: x → curvature with the same autograd jet, so the
//              difference to Nested is the curvature step alone.
//   FusedBackward  fused_curvature(jet) and the backward of Σ(|Ric|² + R) to the jet: a Ricci loss's curvature
//              step in training (the explicit reverse-mode kernel).
// Counter points/s = B × iterations / time. Never asserts.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include <functional>

#include "geometry/autograd_jet.h"
#include "geometry/curvature/curvature_reference.h"
#include "geometry/curvature/fused_curvature.h"

namespace {

constexpr int64_t kBatch = 4096;

using MetricFn = std::function<at::Tensor(const at::Tensor&)>;

// x: [B, n] → g: [B, n, n]. Unit round S^n in the stereographic chart, g = 4|dx|²/(1 + |x|²)² (diagonal).
at::Tensor round_sphere(const at::Tensor& x) {
  const int64_t n = x.size(1);
  const at::Tensor conformal = 4.0 / (1.0 + (x * x).sum(1)).pow(2);  // [B]
  return conformal.view({-1, 1, 1}) * at::eye(n, x.options()).expand({x.size(0), n, n});
}

// x: [B, n] → g = I + ¼ T Tᵀ with T = tanh(W x + b) reshaped [B, n, n]: smooth, SPD (g ≥ I), non-diagonal.
MetricFn tanh_metric(int64_t n) {
  at::manual_seed(1);
  const at::Tensor w = at::randn({n * n, n}, at::kDouble);  // [n², n]
  const at::Tensor b = at::randn({n * n}, at::kDouble);     // [n²]
  return [w, b, n](const at::Tensor& x) {
    const at::Tensor t = at::tanh(at::addmm(b, x, w.t())).view({-1, n, n});
    return at::eye(n, x.options()) + 0.25 * at::matmul(t, t.transpose(1, 2));
  };
}

// state.range(0): 0 = round sphere, 1 = tanh metric; state.range(1): n.
MetricFn metric_of(const benchmark::State& state) {
  if (state.range(0) == 0) {
    return round_sphere;
  }
  return tanh_metric(state.range(1));
}

at::Tensor points(int64_t n) {
  at::manual_seed(0);
  return 0.5 * at::randn({kBatch, n}, at::kDouble);
}

void finish(benchmark::State& state) {
  state.SetLabel(state.range(0) == 0 ? "round_sphere" : "tanh_metric");
  state.counters["points/s"] =
      benchmark::Counter(static_cast<double>(kBatch), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = at::get_num_threads();
}

void BM_Curvature_Fused(benchmark::State& state) {
  const nmflow::MetricJet jet = nmflow::jet_by_autograd(metric_of(state), points(state.range(1)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(nmflow::fused_curvature(jet).scalar.data_ptr());
  }
  finish(state);
}

void BM_Curvature_FusedBackward(benchmark::State& state) {
  const nmflow::MetricJet jet = nmflow::jet_by_autograd(metric_of(state), points(state.range(1)));
  const nmflow::MetricJet leaves{jet.g.detach().requires_grad_(true), jet.dg.detach().requires_grad_(true),
                                 jet.d2g.detach().requires_grad_(true)};
  for (auto _ : state) {
    const nmflow::FusedCurvature c = nmflow::fused_curvature(leaves);
    (c.ricci_norm_squared.sum() + c.scalar.sum()).backward();
    benchmark::DoNotOptimize(leaves.d2g.grad().data_ptr());
    for (const at::Tensor& t : {leaves.g, leaves.dg, leaves.d2g}) t.mutable_grad().reset();
  }
  finish(state);
}

void BM_Curvature_Reference(benchmark::State& state) {
  const nmflow::MetricJet jet = nmflow::jet_by_autograd(metric_of(state), points(state.range(1)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(nmflow::curvature_reference(jet).scalar.data_ptr());
  }
  finish(state);
}

void BM_Curvature_Nested(benchmark::State& state) {
  const MetricFn metric = metric_of(state);
  const at::Tensor x = points(state.range(1));
  for (auto _ : state) {
    benchmark::DoNotOptimize(nmflow::curvature_reference(nmflow::jet_by_autograd(metric, x)).scalar.data_ptr());
  }
  finish(state);
}

void BM_Curvature_JetFused(benchmark::State& state) {
  const MetricFn metric = metric_of(state);
  const at::Tensor x = points(state.range(1));
  for (auto _ : state) {
    benchmark::DoNotOptimize(nmflow::fused_curvature(nmflow::jet_by_autograd(metric, x)).scalar.data_ptr());
  }
  finish(state);
}

void metric_and_dim(benchmark::internal::Benchmark* b) {
  // Wall-clock time, so points/s counts what LibTorch's intra-op threads did together.
  b->ArgNames({"metric", "n"})->ArgsProduct({{0, 1}, {2, 3, 4}})->Unit(benchmark::kMillisecond)->UseRealTime();
}

// The fused kernels alone also at n = 6 (the nested-autograd ones would take seconds there).
void metric_and_dim_to_6(benchmark::internal::Benchmark* b) {
  b->ArgNames({"metric", "n"})->ArgsProduct({{0, 1}, {2, 3, 4, 6}})->Unit(benchmark::kMillisecond)->UseRealTime();
}

}  // namespace

BENCHMARK(BM_Curvature_Fused)->Apply(metric_and_dim_to_6);
BENCHMARK(BM_Curvature_FusedBackward)->Apply(metric_and_dim_to_6);
BENCHMARK(BM_Curvature_Reference)->Apply(metric_and_dim);
BENCHMARK(BM_Curvature_Nested)->Apply(metric_and_dim);
BENCHMARK(BM_Curvature_JetFused)->Apply(metric_and_dim);
