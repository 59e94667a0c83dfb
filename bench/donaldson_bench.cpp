// Donaldson balanced metrics on quintics (docs/design.md §3; docs/kahler.md "Donaldson balanced metrics";
// docs/BENCHMARKS.md "Donaldson T-operator"), float64, CPU.
//   DonaldsonTOperator/k       one T(h) on N_p = 10·N_k² Fermat-quintic points: section monomials, S = sᵀ h s̄ and the
//                              weighted GEMM; counters points/s and GFLOP/s (2 complex GEMMs of N_p·N_k² each,
//                              8 real flops per complex multiply-add).
//   DonaldsonSigmaFermat/k     the doc run: balance on N_p = max(10·N_k², 20000) points (≤ 15 iterations, stop at
//                              residual 1e-10), σ on 50000 held-out points. One iteration; counters sigma, N_k, N_p,
//                              iterations, residual (of the final h), sigma_fs (same held-out points).
//   DonaldsonSigmaDwork/k      the same on the Dwork quintic ψ = 10 + 3i (CYJAX's example).
// Never asserts.
#include <ATen/ATen.h>
#include <benchmark/benchmark.h>

#include <algorithm>
#include <complex>

#include "geometry/kahler/cy_measures.h"
#include "geometry/kahler/donaldson.h"
#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "geometry/kahler/monomial_basis.h"

namespace {

void DonaldsonTOperator(benchmark::State& state) {
  const nmflow::Hypersurface quintic = nmflow::fermat_quintic();
  const at::Tensor exponents = nmflow::section_monomials(quintic, state.range(0));
  const int64_t n_k = exponents.size(0);
  const int64_t n_p = 10 * n_k * n_k;
  const nmflow::CYPointSet points = nmflow::sample_cy_points(quintic, n_p, 1);
  const at::Tensor h = at::eye(n_k, at::kComplexDouble);
  for (auto _ : state) {
    benchmark::DoNotOptimize(nmflow::donaldson_t_operator(exponents, h, points.z, points.weights));
  }
  state.counters["N_k"] = static_cast<double>(n_k);
  state.counters["N_p"] = static_cast<double>(n_p);
  state.counters["points/s"] =
      benchmark::Counter(static_cast<double>(n_p), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] = benchmark::Counter(16e-9 * static_cast<double>(n_p) * n_k * n_k,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

void sigma_run(benchmark::State& state, const nmflow::Hypersurface& surface) {
  const int64_t k = state.range(0);
  const int64_t n_k = nmflow::section_monomials(surface, k).size(0);
  const int64_t n_p = std::max<int64_t>(10 * n_k * n_k, 20000);
  const nmflow::CYPointSet balancing = nmflow::sample_cy_points(surface, n_p, 100 + k);
  const nmflow::CYPointSet held_out = nmflow::sample_cy_points(surface, 50000, 7);
  nmflow::DonaldsonOptions options;
  options.tolerance = 1e-10;
  for (auto _ : state) {
    const nmflow::BalancedMetric metric = nmflow::donaldson_balanced_metric(surface, balancing, k, options);
    const nmflow::CYAccuracy accuracy = nmflow::balanced_accuracy(metric, held_out);
    state.counters["sigma"] = accuracy.sigma;
    state.counters["iterations"] = static_cast<double>(metric.residuals.size() - 1);
    state.counters["residual"] = metric.residuals.back();
  }
  state.counters["sigma_fs"] = nmflow::cy_accuracy(held_out.weights, held_out.omega_sq, held_out.det_g_fs).sigma;
  state.counters["N_k"] = static_cast<double>(n_k);
  state.counters["N_p"] = static_cast<double>(n_p);
}

void DonaldsonSigmaFermat(benchmark::State& state) { sigma_run(state, nmflow::fermat_quintic()); }
void DonaldsonSigmaDwork(benchmark::State& state) {
  sigma_run(state, nmflow::dwork_quintic(std::complex<double>(10.0, 3.0)));
}

}  // namespace

BENCHMARK(DonaldsonTOperator)->DenseRange(2, 5)->Unit(benchmark::kMillisecond);
BENCHMARK(DonaldsonSigmaFermat)->DenseRange(1, 6)->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK(DonaldsonSigmaDwork)->Arg(1)->Arg(4)->Iterations(1)->Unit(benchmark::kSecond);
