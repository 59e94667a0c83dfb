#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "common/cpu_targets.h"
#include "models/tile_gemm_cpu.h"
#include "support/tolerance.h"

namespace {

// C(i, j) (+)= Σ_k A(i, k) B(k, j) in k order, what the kernels promise element by element: one std::fma per k
// (fused, levels 3 and 4), or a rounded product and a rounded sum (the baseline kernel; volatile keeps each rounded
// on its own, and this file is compiled for baseline x86-64, which has no FMA to contract them into).
at::Tensor in_order(const at::Tensor& c0, const at::Tensor& a, const at::Tensor& b, bool accumulate, bool fused) {
  at::Tensor c = c0.clone();
  const auto av = a.accessor<double, 2>();
  const auto bv = b.accessor<double, 2>();
  auto cv = c.accessor<double, 2>();
  for (int64_t i = 0; i < c.size(0); ++i) {
    for (int64_t j = 0; j < c.size(1); ++j) {
      volatile double acc = accumulate ? cv[i][j] : 0.0;
      for (int64_t k = 0; k < a.size(1); ++k) {
        if (fused) {
          acc = std::fma(av[i][k], bv[k][j], acc);
        } else {
          const volatile double product = av[i][k] * bv[k][j];
          acc = acc + product;
        }
      }
      cv[i][j] = acc;
    }
  }
  return c;
}

struct Shape {
  int64_t m, n, k;
};

}  // namespace

// The narrow path's order (N ≤ 2, A's rows contiguous): eight partial FMA sums over k ≡ l (mod 8), a last FMA of
// the tail into every lane (0·0 beyond it), then ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)); then + C.
at::Tensor narrow_order(const at::Tensor& c0, const at::Tensor& a, const at::Tensor& b, bool accumulate) {
  at::Tensor c = c0.clone();
  const auto av = a.accessor<double, 2>();
  const auto bv = b.accessor<double, 2>();
  auto cv = c.accessor<double, 2>();
  const int64_t k_count = a.size(1), full = k_count / 8 * 8;
  for (int64_t i = 0; i < a.size(0); ++i) {
    for (int64_t j = 0; j < b.size(1); ++j) {
      double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (int64_t k = 0; k < full; ++k) lanes[k % 8] = std::fma(av[i][k], bv[k][j], lanes[k % 8]);
      if (k_count > full) {
        for (int64_t l = 0; l < 8; ++l) {
          const bool exists = full + l < k_count;
          lanes[l] = std::fma(exists ? av[i][full + l] : 0.0, exists ? bv[full + l][j] : 0.0, lanes[l]);
        }
      }
      const double value =
          ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
      cv[i][j] = accumulate ? cv[i][j] + value : value;
    }
  }
  return c;
}

TEST_CASE("tile_gemm_cpu = A·B for row and column tails, strided A, and accumulation", "[models][tile_gemm]") {
  at::manual_seed(11);
  REQUIRE(nmflow::tile_gemm_cpu_has_kernel(at::kDouble));
  const bool fma_kernels = nmflow::cpu_x86_64_level() >= 3;
  // Row counts around the kernel's 6-row blocks, column counts around its 8-wide vectors and 32-column blocks,
  // N ≤ 2 (the narrow dot-product path), the trunk's shapes (K = 25 inputs, 64 wide, a scalar head).
  const std::vector<Shape> shapes = {{1, 1, 1},    {5, 3, 7},      {6, 8, 64},     {7, 9, 25},
                                     {13, 33, 64}, {2048, 64, 64}, {2044, 21, 64}, {100, 1, 64},
                                     {9, 2, 11},   {37, 70, 13},   {12, 32, 200}};
  for (const Shape& s : shapes) {
    for (const bool transposed_a : {false, true}) {
      for (const bool accumulate : {false, true}) {
        INFO("M " << s.m << ", N " << s.n << ", K " << s.k << (transposed_a ? ", A transposed" : "")
                  << (accumulate ? ", accumulate" : ""));
        // A transposed: a [K, M] matrix's transpose (unit row stride), as the weight gradient gᵀ·h reads it.
        const at::Tensor a = transposed_a ? at::randn({s.k, s.m}, at::kDouble).t() : at::randn({s.m, s.k}, at::kDouble);
        const at::Tensor b = at::randn({s.k, s.n}, at::kDouble);
        const at::Tensor c0 = at::randn({s.m, s.n}, at::kDouble);
        at::Tensor c = c0.clone();
        nmflow::tile_gemm_cpu(c, a, b, accumulate);
        const at::Tensor expected = accumulate ? at::addmm(c0, a, b) : at::mm(a, b);
        CHECK_CLOSE(c, expected, 1e-14 * static_cast<double>(s.k));
        // The blocked kernel (N ≥ 3 or a strided A) is bit for bit the in-order FMA sum of every element.
        if (fma_kernels && (s.n >= 3 || transposed_a)) CHECK(at::equal(c, in_order(c0, a, b, accumulate, true)));
        // The narrow path (AVX-512 or AVX2) is bit for bit its documented order.
        if (fma_kernels && s.n < 3 && !transposed_a) CHECK(at::equal(c, narrow_order(c0, a, b, accumulate)));
        // Below x86-64-v3 every shape is the in-order product-and-sum.
        if (!fma_kernels) CHECK(at::equal(c, in_order(c0, a, b, accumulate, false)));
      }
    }
  }
}

TEST_CASE("tile_gemm_cpu rows do not depend on the block that computed them", "[models][tile_gemm]") {
  at::manual_seed(12);
  const at::Tensor a = at::randn({47, 64}, at::kDouble);
  const at::Tensor b = at::randn({64, 64}, at::kDouble);
  at::Tensor whole = at::empty({47, 64}, at::kDouble);
  nmflow::tile_gemm_cpu(whole, a, b, false);
  // At every CPU level: ATen's mm promises no such thing, which is why tile_gemm_cpu has a baseline kernel.
  for (const int64_t offset : {1, 5, 11}) {
    at::Tensor part = at::empty({47 - offset, 64}, at::kDouble);
    nmflow::tile_gemm_cpu(part, a.narrow(0, offset, 47 - offset), b, false);
    CHECK(at::equal(part, whole.narrow(0, offset, 47 - offset)));
  }
  // A row-strided slice of a wider matrix (a tile of the trunk's [B, R, W] jets) and a C with a row stride.
  const at::Tensor wide = at::randn({20, 80}, at::kDouble);
  at::Tensor c_wide = at::zeros({20, 70}, at::kDouble);
  at::Tensor c = c_wide.narrow(1, 3, 64);
  nmflow::tile_gemm_cpu(c, wide.narrow(1, 8, 64), b, false);
  CHECK_CLOSE(c, at::mm(wide.narrow(1, 8, 64), b), 1e-13);
  CHECK(at::equal(c_wide.narrow(1, 0, 3), at::zeros({20, 3}, at::kDouble)));
  CHECK(at::equal(c_wide.narrow(1, 67, 3), at::zeros({20, 3}, at::kDouble)));
}

TEST_CASE("tile_gemm_cpu: empty sums, float32 through ATen, and bad inputs named", "[models][tile_gemm]") {
  at::Tensor c = at::ones({3, 4}, at::kDouble);
  nmflow::tile_gemm_cpu(c, at::zeros({3, 0}, at::kDouble), at::zeros({0, 4}, at::kDouble), true);
  CHECK(at::equal(c, at::ones({3, 4}, at::kDouble)));
  nmflow::tile_gemm_cpu(c, at::zeros({3, 0}, at::kDouble), at::zeros({0, 4}, at::kDouble), false);
  CHECK(at::equal(c, at::zeros({3, 4}, at::kDouble)));
  const at::Tensor af = at::randn({9, 5}, at::kFloat);
  const at::Tensor bf = at::randn({5, 10}, at::kFloat);
  at::Tensor cf = at::empty({9, 10}, at::kFloat);
  CHECK_FALSE(nmflow::tile_gemm_cpu_has_kernel(at::kFloat));
  nmflow::tile_gemm_cpu(cf, af, bf, false);
  CHECK_CLOSE(cf, at::mm(af, bf), 1e-6);
  at::Tensor bad = at::empty({3, 5}, at::kDouble);
  CHECK_THROWS_WITH(nmflow::tile_gemm_cpu(bad, at::zeros({3, 2}, at::kDouble), at::zeros({3, 5}, at::kDouble), false),
                    Catch::Contains("c [M, N] = a [M, K] · b [K, N]"));
  CHECK_THROWS_WITH(nmflow::tile_gemm_cpu(bad, at::zeros({3, 2}, at::kDouble), at::zeros({2, 5}, at::kFloat), false),
                    Catch::Contains("dtypes differ"));
  CHECK_THROWS_WITH(
      nmflow::tile_gemm_cpu(bad, at::zeros({3, 2}, at::kDouble), at::zeros({5, 2}, at::kDouble).t(), false),
      Catch::Contains("unit column stride"));
}
