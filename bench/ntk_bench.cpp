// Empirical metric-NTK (docs/design.md §5, docs/BENCHMARKS.md "Empirical metric-NTK"): B points of a 3×64 tanh MLP
// metric (n = 3, symmetric head, p = 6 packed components, NTK parameterisation, float64), each method of
// ntk/empirical_ntk.h, one iteration each ("one run"; a single Θ costs from 0.1 s to minutes).
//   BM_MetricNtk/method/B       the full Θ(x, x): [6B, 6B]. x2 is x itself, so the fused kernel computes only the
//                               tiles on and above the diagonal (the GEMM-based methods cannot exploit it).
//   BM_MetricNtkBlock/method/B  a row block Θ(x[0:512], x): [3072, 6B] — for B = 4096, where the full Θ is 4.8 GB;
//                               x[0:512] is a copy, so no method gets the symmetric shortcut.
// method = the NtkMethod value: 0 jacobian, 1 ntk_vector_products, 2 structured, 3 fused. Slow methods are
// registered only at the sizes where they finish in reasonable time (docs/BENCHMARKS.md says which). Counter
// entries/s = Θ entries / wall time. Never asserts.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include "models/benchmark_metric.h"
#include "models/neural_metric.h"
#include "ntk/empirical_ntk.h"

namespace {

constexpr int64_t kDim = 3;
constexpr int64_t kComponents = kDim * (kDim + 1) / 2;
constexpr int64_t kBlockPoints = 512;

at::Tensor points(int64_t count) {
  at::manual_seed(0);
  return 0.5 * at::randn({count, kDim}, at::kDouble);
}

void finish(benchmark::State& state, int64_t rows, int64_t cols) {
  state.SetLabel(nmflow::ntk_method_name(static_cast<nmflow::NtkMethod>(state.range(0))));
  state.counters["entries/s"] = benchmark::Counter(static_cast<double>(rows * kComponents * cols * kComponents),
                                                   benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = at::get_num_threads();
}

void BM_MetricNtk(benchmark::State& state) {
  const nmflow::NeuralMetric model = nmflow::benchmark_metric(kDim);
  const auto method = static_cast<nmflow::NtkMethod>(state.range(0));
  const at::Tensor x = points(state.range(1));
  for (auto _ : state) {
    benchmark::DoNotOptimize(nmflow::empirical_metric_ntk(model, x, x, method).data_ptr());
  }
  finish(state, x.size(0), x.size(0));
}

void BM_MetricNtkBlock(benchmark::State& state) {
  const nmflow::NeuralMetric model = nmflow::benchmark_metric(kDim);
  const auto method = static_cast<nmflow::NtkMethod>(state.range(0));
  const at::Tensor x = points(state.range(1));
  const at::Tensor block = x.narrow(0, 0, kBlockPoints).clone();
  for (auto _ : state) {
    benchmark::DoNotOptimize(nmflow::empirical_metric_ntk(model, block, x, method).data_ptr());
  }
  finish(state, block.size(0), x.size(0));
}

void one_run(benchmark::internal::Benchmark* b) {
  // Wall-clock time, one iteration: the ratios come from one run of one binary.
  b->ArgNames({"method", "B"})->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
}

}  // namespace

// Every method at B = 256; the Jacobian method (6B backward passes over B points, J is 6B × 8966) up to 1024;
// NTK-vector products (6B products of ~3 backward passes over B points each) only at 256.
BENCHMARK(BM_MetricNtk)->Apply(one_run)->Args({0, 256})->Args({1, 256})->Args({2, 256})->Args({3, 256});
BENCHMARK(BM_MetricNtk)->Apply(one_run)->Args({0, 1024})->Args({2, 1024})->Args({3, 1024});
// B = 4096: a 512-point row block by the two structured methods; the full symmetric Θ (4.8 GB) by the fused one.
BENCHMARK(BM_MetricNtkBlock)->Apply(one_run)->Args({2, 4096})->Args({3, 4096});
BENCHMARK(BM_MetricNtk)->Apply(one_run)->Args({3, 4096});
