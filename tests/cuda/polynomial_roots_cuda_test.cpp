// The CUDA root finder of the line-intersection sampler against the CPU path (same per-line math,
// polynomial_roots_math.h), which tests/geometry/hypersurface_sampler_test.cpp checks against LAPACK.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "geometry/kahler/polynomial_roots.h"
#include "support/tolerance.h"

namespace {

// Max over roots of a of the distance to the nearest root of b, relative to 1 + |root| ([L, d] each, CPU):
// insensitive to the order in which the two devices happen to list a line's roots.
double max_nearest_relative_distance(const at::Tensor& a, const at::Tensor& b) {
  return ((a.unsqueeze(2) - b.unsqueeze(1)).abs().amin(2) / (1.0 + a.abs())).amax().item<double>();
}

}  // namespace

TEST_CASE("CUDA Aberth roots equal the CPU roots to 1e-12 on the same random polynomials", "[cuda]") {
  at::manual_seed(3);
  for (int64_t degree : {1, 3, 5, 8}) {
    const at::Tensor coeffs = at::randn({4096, degree + 1}, at::kComplexDouble);
    const auto cpu = nmflow::polynomial_roots(coeffs);
    const auto gpu = nmflow::polynomial_roots(coeffs.cuda());
    INFO("degree " << degree);
    CHECK(at::equal(cpu.converged, gpu.converged.cpu()));
    CHECK(max_nearest_relative_distance(cpu.roots, gpu.roots.cpu()) < 1e-12);
    CHECK(max_nearest_relative_distance(gpu.roots.cpu(), cpu.roots) < 1e-12);
  }
}

TEST_CASE("CUDA line-intersection roots and residuals equal the CPU ones on the same lines (quintic, Dwork)",
          "[cuda]") {
  at::manual_seed(4);
  for (const nmflow::Hypersurface& surface : {nmflow::fermat_quintic(), nmflow::dwork_quintic({0.5, 0.3})}) {
    const at::Tensor a = at::randn({20000, 5}, at::kComplexDouble);
    const at::Tensor b = at::randn({20000, 5}, at::kComplexDouble);
    const auto cpu = nmflow::line_intersection_roots(a, b, surface.exponents(), surface.coefficients(), 5);
    const nmflow::Hypersurface on_gpu = surface.to(at::kCUDA);
    const auto gpu =
        nmflow::line_intersection_roots(a.cuda(), b.cuda(), on_gpu.exponents(), on_gpu.coefficients(), 5);
    INFO(surface.name());
    CHECK(max_nearest_relative_distance(cpu.t, gpu.t.cpu()) < 1e-12);
    CHECK(max_nearest_relative_distance(gpu.t.cpu(), cpu.t) < 1e-12);
    CHECK(gpu.residual.max().item<double>() <= 1e-10);
  }
}

TEST_CASE("Line sampler on CUDA gives the CPU points and weights for the same seed", "[cuda]") {
  nmflow::LineSamplerOptions options;
  options.n_points = 10000;
  options.seed = 9;
  const nmflow::CYPointSet cpu = nmflow::sample_cy_points(nmflow::fermat_quintic(), options);
  options.device = at::Device(at::kCUDA, 0);
  const nmflow::CYPointSet gpu = nmflow::sample_cy_points(nmflow::fermat_quintic(), options);
  REQUIRE(gpu.z.is_cuda());
  REQUIRE(gpu.size() == cpu.size());
  // Roots may come out in a different order per line; compare the lines' point sets through the weights' sums
  // and the sorted weights, which are order-free and use every pipeline stage.
  const at::Tensor w_cpu = std::get<0>(cpu.weights.sort());
  const at::Tensor w_gpu = std::get<0>(gpu.weights.cpu().sort());
  CHECK_CLOSE(w_gpu, w_cpu, 1e-9);
  CHECK(gpu.lines_rejected == cpu.lines_rejected);
}
