// make_cy_point_set on the CPU runs cy_point_math.h per point; it must equal the batched ATen composition
// (choose_patches → cy_point_set_from_patches, the formulas op by op) — the same charts exactly, the numbers to
// rounding.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include "geometry/kahler/cy_point_set.h"
#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "geometry/kahler/patches.h"
#include "support/cy_points.h"
#include "support/tolerance.h"

using nmflow::Hypersurface;

TEST_CASE("CPU point sets equal the ATen composition: charts exactly, P, g_FS, det, |Omega|^2, w to 1e-13",
          "[geometry][sampler]") {
  for (const Hypersurface& surface : nmflow::test::chart_test_surfaces()) {
    INFO(surface.name());
    const at::Tensor z = nmflow::test::scaled_line_points(surface, 3001, 4, 8);
    for (const double t : {1.0, 2.5}) {
      INFO("t = " << t);
      const nmflow::CYPointSet fused = nmflow::make_cy_point_set(surface, z, t);
      const nmflow::CYPointSet aten = nmflow::cy_point_set_from_patches(nmflow::choose_patches(surface, z), t);
      CHECK(at::equal(fused.patch, aten.patch));
      CHECK(at::equal(fused.eliminated, aten.eliminated));
      CHECK(at::equal(fused.local_indices, aten.local_indices));
      CHECK_CLOSE(at::view_as_real(fused.z), at::view_as_real(aten.z), 1e-15);
      CHECK_CLOSE(at::view_as_real(fused.pullback), at::view_as_real(aten.pullback), 1e-13);
      CHECK_CLOSE(at::view_as_real(fused.g_fs), at::view_as_real(aten.g_fs), 1e-13);
      CHECK_CLOSE(fused.det_g_fs, aten.det_g_fs, 1e-12);
      CHECK_CLOSE(fused.omega_sq, aten.omega_sq, 1e-13);
      CHECK_CLOSE(fused.weights, aten.weights, 1e-12);
      CHECK(fused.det_g_fs.min().item<double>() > 0.0);
    }
  }
}

TEST_CASE("sample_cy_points on the CPU is make_cy_point_set of the sampled line points", "[geometry][sampler]") {
  nmflow::LineSamplerOptions options;
  options.n_points = 2500;
  options.seed = 3;
  options.chunk_points = 1000;
  options.kahler_modulus = 1.5;
  const Hypersurface quintic = nmflow::fermat_quintic();
  const nmflow::CYPointSet points = nmflow::sample_cy_points(quintic, options);
  const nmflow::HypersurfacePoints raw = nmflow::sample_line_intersections(quintic, options);
  const nmflow::CYPointSet expected = nmflow::make_cy_point_set(quintic, raw.z, 1.5);
  CHECK(points.size() == 2500);
  CHECK(points.lines_used == raw.lines_used);
  CHECK(at::equal(points.weights, expected.weights));
  CHECK(at::equal(points.g_fs, expected.g_fs));
}
