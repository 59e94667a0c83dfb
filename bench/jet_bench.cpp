// Forward-mode Taylor jets of neural metrics vs LibTorch nested autograd (docs/design.md §7), same binary, same
// network: metric 2-jet of a 3×64 tanh MLP with the symmetric head at B = 1024 points, with and without the
// parameter gradient of a loss on the jet; and the 4-jet of a scalar 3×64 network (φ-models).
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <benchmark/benchmark.h>
#include <torch/csrc/autograd/autograd.h>

#include <vector>

#include "geometry/autograd_jet.h"
#include "models/mlp_jet.h"
#include "models/benchmark_metric.h"
#include "models/neural_metric.h"

namespace {

constexpr int64_t kBatch = 1024;

at::Tensor points(int64_t n) {
  at::manual_seed(0);
  return at::randn({kBatch, n}, at::kDouble);
}

at::Tensor loss_of(const nmflow::MetricJet& jet) {
  return jet.d2g.pow(2).sum() + jet.dg.pow(2).sum() + jet.g.pow(2).sum();
}

void BM_MetricJet_Forward(benchmark::State& state) {
  const nmflow::NeuralMetric metric = nmflow::benchmark_metric(state.range(0));
  const at::Tensor x = points(state.range(0));
  at::NoGradGuard no_grad;
  for (auto _ : state) {
    benchmark::DoNotOptimize(metric.jet(x).d2g.data_ptr());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_MetricJet_Autograd(benchmark::State& state) {
  const nmflow::NeuralMetric metric = nmflow::benchmark_metric(state.range(0));
  const at::Tensor x = points(state.range(0));
  for (auto _ : state) {
    const nmflow::MetricJet jet =
        nmflow::jet_by_autograd([&](const at::Tensor& y) { return metric.metric(y); }, x, /*create_graph=*/false);
    benchmark::DoNotOptimize(jet.d2g.data_ptr());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_MetricJetParamGrad_Forward(benchmark::State& state) {
  const nmflow::NeuralMetric metric = nmflow::benchmark_metric(state.range(0));
  const at::Tensor x = points(state.range(0));
  for (auto _ : state) {
    const auto grads = torch::autograd::grad({loss_of(metric.jet(x))}, metric.parameters());
    benchmark::DoNotOptimize(grads[0].data_ptr());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_MetricJetParamGrad_Autograd(benchmark::State& state) {
  const nmflow::NeuralMetric metric = nmflow::benchmark_metric(state.range(0));
  const at::Tensor x = points(state.range(0));
  for (auto _ : state) {
    const nmflow::MetricJet jet =
        nmflow::jet_by_autograd([&](const at::Tensor& y) { return metric.metric(y); }, x, /*create_graph=*/true);
    const auto grads = torch::autograd::grad({loss_of(jet)}, metric.parameters());
    benchmark::DoNotOptimize(grads[0].data_ptr());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

nmflow::Mlp scalar_network(int64_t n) {
  nmflow::MlpConfig config;
  config.input_dim = n;
  config.hidden = {64, 64, 64};
  config.output_dim = 1;
  config.activation = nmflow::Activation::Tanh;
  config.seed = 2;
  return nmflow::Mlp(config);
}

void BM_ScalarJet4_Forward(benchmark::State& state) {
  const nmflow::Mlp mlp = scalar_network(state.range(0));
  const at::Tensor x = points(state.range(0));
  at::NoGradGuard no_grad;
  for (auto _ : state) {
    benchmark::DoNotOptimize(nmflow::mlp_scalar_jet4(mlp, x).d4.data_ptr());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// Nested reverse mode to order 4, differentiating only the sorted index tuples (a1 ≤ … ≤ ak), as a careful user
// of nested tapes would: C(n+k−1, k) backward passes at order k.
void BM_ScalarJet4_Autograd(benchmark::State& state) {
  const nmflow::Mlp mlp = scalar_network(state.range(0));
  const int64_t n = state.range(0);
  const at::Tensor x0 = points(n);
  for (auto _ : state) {
    const at::Tensor x = x0.detach().requires_grad_(true);
    std::vector<std::pair<int64_t, at::Tensor>> current{{0, mlp.forward(x).select(1, 0)}};
    for (int k = 1; k <= 4; ++k) {
      std::vector<std::pair<int64_t, at::Tensor>> next;
      for (const auto& [last, y] : current) {
        const at::Tensor g = torch::autograd::grad({y.sum()}, {x}, {}, true, /*create_graph=*/k < 4, true)[0];
        for (int64_t a = last; a < n; ++a) {
          next.emplace_back(a, g.select(1, a));
        }
      }
      current = std::move(next);
    }
    benchmark::DoNotOptimize(current.back().second.data_ptr());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

}  // namespace

BENCHMARK(BM_MetricJet_Forward)->Arg(2)->Arg(3)->Arg(4)->Arg(6)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MetricJet_Autograd)->Arg(2)->Arg(3)->Arg(4)->Arg(6)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MetricJetParamGrad_Forward)->Arg(2)->Arg(3)->Arg(4)->Arg(6)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MetricJetParamGrad_Autograd)->Arg(2)->Arg(3)->Arg(4)->Arg(6)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScalarJet4_Forward)->Arg(2)->Arg(4)->Arg(6)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScalarJet4_Autograd)->Arg(2)->Arg(4)->Arg(6)->Unit(benchmark::kMillisecond);
