// Line-intersection sampler on the Fermat quintic (docs/design.md §3), float64, CPU. What each benchmark times
// (docs/BENCHMARKS.md, "Sampling"); state.range(0) = number of points:
//   QuinticRoots       line_intersection_roots: the coefficients of p(a + t b) and all 5 roots of every line
//                      (Aberth + Newton polish), i.e. the per-line math alone.
//   QuinticRawPoints   sample_line_intersections: Gaussian lines + roots + the |p(z)|/‖z‖^d residual check.
//   QuinticCYPoints    sample_cy_points: the above + patches, pullbacks, g_FS, |Ω|², weights (a full CYPointSet).
// Counter points/s = points × iterations / time. Never asserts.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <benchmark/benchmark.h>

#include <cmath>

#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "geometry/kahler/polynomial_roots.h"

namespace {

void finish(benchmark::State& state) {
  state.counters["points/s"] =
      benchmark::Counter(static_cast<double>(state.range(0)), benchmark::Counter::kIsIterationInvariantRate);
}

nmflow::LineSamplerOptions options_for(const benchmark::State& state) {
  nmflow::LineSamplerOptions options;
  options.n_points = state.range(0);
  options.seed = 1;
  return options;
}

void QuinticRoots(benchmark::State& state) {
  const nmflow::Hypersurface quintic = nmflow::fermat_quintic();
  const int64_t lines = state.range(0) / quintic.degree();
  at::manual_seed(0);
  const at::Tensor a = at::randn({lines, 5}, at::kComplexDouble);
  const at::Tensor b = at::randn({lines, 5}, at::kComplexDouble);
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        nmflow::line_intersection_roots(a, b, quintic.exponents(), quintic.coefficients(), quintic.degree()).t);
  }
  finish(state);
}

void QuinticRawPoints(benchmark::State& state) {
  const nmflow::Hypersurface quintic = nmflow::fermat_quintic();
  const nmflow::LineSamplerOptions options = options_for(state);
  for (auto _ : state) {
    benchmark::DoNotOptimize(nmflow::sample_line_intersections(quintic, options).z);
  }
  finish(state);
}

void QuinticCYPoints(benchmark::State& state) {
  const nmflow::Hypersurface quintic = nmflow::fermat_quintic();
  const nmflow::LineSamplerOptions options = options_for(state);
  for (auto _ : state) {
    benchmark::DoNotOptimize(nmflow::sample_cy_points(quintic, options).weights);
  }
  finish(state);
}

}  // namespace

BENCHMARK(QuinticRoots)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(QuinticRawPoints)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(QuinticCYPoints)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();
