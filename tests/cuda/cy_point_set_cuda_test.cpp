// make_cy_point_set on a CUDA device (cy_point_chart.cu, one thread per point) against the CPU path (the same
// per-point math, cy_point_math.h, which tests/geometry/cy_point_set_test.cpp checks against the ATen composition).
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include "geometry/kahler/cy_point_set.h"
#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "support/cy_points.h"
#include "support/tolerance.h"

TEST_CASE("CUDA point sets equal the CPU ones: charts exactly, P, g_FS, det, |Omega|^2, w to 1e-12", "[cuda]") {
  for (const nmflow::Hypersurface& surface : nmflow::test::chart_test_surfaces()) {
    INFO(surface.name());
    const at::Tensor z = nmflow::test::scaled_line_points(surface, 20000, 6, 2);
    const nmflow::CYPointSet cpu = nmflow::make_cy_point_set(surface, z, 1.5);
    const nmflow::CYPointSet gpu = nmflow::make_cy_point_set(surface.to(at::kCUDA), z.cuda(), 1.5);
    REQUIRE(gpu.weights.is_cuda());
    CHECK(at::equal(cpu.patch, gpu.patch.cpu()));
    CHECK(at::equal(cpu.eliminated, gpu.eliminated.cpu()));
    CHECK(at::equal(cpu.local_indices, gpu.local_indices.cpu()));
    CHECK_CLOSE(at::view_as_real(cpu.z), at::view_as_real(gpu.z.cpu()), 1e-14);
    CHECK_CLOSE(at::view_as_real(cpu.pullback), at::view_as_real(gpu.pullback.cpu()), 1e-12);
    CHECK_CLOSE(at::view_as_real(cpu.g_fs), at::view_as_real(gpu.g_fs.cpu()), 1e-12);
    CHECK_CLOSE(cpu.det_g_fs, gpu.det_g_fs.cpu(), 1e-12);
    CHECK_CLOSE(cpu.weights, gpu.weights.cpu(), 1e-12);
  }
}
