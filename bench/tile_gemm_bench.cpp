// The jet trunk's tile GEMMs (src/models/tile_gemm_cpu.h) vs ATen's mm/addmm (MKL) on the same operands, one tile
// of 2048 rows (32 points × 64 jet rows, or 128 points × 16): the layer GEMM h·Wᵀ, the weight gradient gᵀ·h
// (accumulated, A transposed), a 21-column head, a scalar head and a 6-column one.
#include <ATen/ATen.h>
#include <benchmark/benchmark.h>

#include "models/tile_gemm_cpu.h"

namespace {

struct Case {
  int64_t m, n, k;
  bool transposed_a, accumulate;
};

// 0: [2048, 64] · [64, 64]   1: gᵀ h, [64, 2048] · [2048, 64] accumulated   2: [2048, 64] · [64, 21]
// 3: [2048, 64] · [64, 1]   4: [2048, 64] · [64, 6] (the n = 3 symmetric head)
Case case_of(int64_t index) {
  switch (index) {
    case 0:
      return {2048, 64, 64, false, false};
    case 1:
      return {64, 64, 2048, true, true};
    case 2:
      return {2048, 21, 64, false, false};
    case 3:
      return {2048, 1, 64, false, false};
    default:
      return {2048, 6, 64, false, false};
  }
}

void run(benchmark::State& state, bool kernel) {
  const Case c = case_of(state.range(0));
  at::manual_seed(0);
  const at::Tensor a = c.transposed_a ? at::randn({c.k, c.m}, at::kDouble).t() : at::randn({c.m, c.k}, at::kDouble);
  const at::Tensor b = at::randn({c.k, c.n}, at::kDouble);
  at::Tensor out = at::zeros({c.m, c.n}, at::kDouble);
  for (auto _ : state) {
    if (kernel) {
      nmflow::tile_gemm_cpu(out, a, b, c.accumulate);
    } else if (c.accumulate) {
      out.addmm_(a, b);
    } else {
      at::mm_out(out, a, b);
    }
    benchmark::DoNotOptimize(out.data_ptr());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * static_cast<double>(c.m * c.n * c.k), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(kernel ? (nmflow::tile_gemm_cpu_has_kernel(at::kDouble) ? "tile kernel" : "tile (ATen fallback)")
                        : "ATen mm");
}

void BM_TileGemm(benchmark::State& state) { run(state, true); }
void BM_TileGemm_Aten(benchmark::State& state) { run(state, false); }
BENCHMARK(BM_TileGemm)->DenseRange(0, 4)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TileGemm_Aten)->DenseRange(0, 4)->Unit(benchmark::kMicrosecond);

}  // namespace
