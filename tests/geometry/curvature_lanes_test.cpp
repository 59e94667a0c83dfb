// The CPU's float64 fused curvature runs L points at a time on vector lanes (curvature_lanes_cpu.h); each lane must
// reproduce the scalar per-point functions of curvature_math.h (what CUDA runs per thread) bit for bit, forward and
// VJP, whatever the number of points (whole vectors and a partial last one).
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cstdint>

#include "common/cpu_targets.h"
#include "geometry/curvature/curvature_lanes_cpu.h"
#include "geometry/curvature/curvature_math.h"
#include "support/random_jet.h"

namespace {

template <int N>
void scalar_forward(const nmflow::MetricJet& jet, at::Tensor& ricci, at::Tensor& scalar, at::Tensor& norm) {
  for (int64_t p = 0; p < jet.g.size(0); ++p) {
    nmflow::curvature_math::curvature_point<double, N>(jet.g[p].data_ptr<double>(), jet.dg[p].data_ptr<double>(),
                                                       jet.d2g[p].data_ptr<double>(), ricci[p].data_ptr<double>(),
                                                       scalar.data_ptr<double>() + p, norm.data_ptr<double>() + p);
  }
}

template <int N>
void scalar_backward(const nmflow::MetricJet& jet, const at::Tensor& ricci, const at::Tensor& v_ricci,
                     const at::Tensor& v_scalar, const at::Tensor& v_norm, nmflow::MetricJet& v) {
  for (int64_t p = 0; p < jet.g.size(0); ++p) {
    nmflow::curvature_math::curvature_point_vjp<double, N>(
        jet.g[p].data_ptr<double>(), jet.dg[p].data_ptr<double>(), jet.d2g[p].data_ptr<double>(),
        ricci[p].data_ptr<double>(), v_ricci[p].data_ptr<double>(), v_scalar[p].item<double>(),
        v_norm[p].item<double>(), v.g[p].data_ptr<double>(), v.dg[p].data_ptr<double>(), v.d2g[p].data_ptr<double>());
  }
}

template <int N>
void check_dimension() {
  for (const int64_t count : {1, 7, 8, 9, 37}) {
    INFO("n = " << N << ", " << count << " points");
    const nmflow::MetricJet jet = nmflow::test::random_jet(count, N);
    at::Tensor ricci = at::empty({count, N, N}, at::kDouble), scalar = at::empty({count}, at::kDouble),
               norm = at::empty({count}, at::kDouble);
    scalar_forward<N>(jet, ricci, scalar, norm);
    at::Tensor lane_ricci = at::empty_like(ricci), lane_scalar = at::empty_like(scalar),
               lane_norm = at::empty_like(norm);
    nmflow::curvature_forward_lanes_cpu(N, jet.g.data_ptr<double>(), jet.dg.data_ptr<double>(),
                                        jet.d2g.data_ptr<double>(), count, lane_ricci.data_ptr<double>(),
                                        lane_scalar.data_ptr<double>(), lane_norm.data_ptr<double>());
    CHECK(at::equal(lane_ricci, ricci));
    CHECK(at::equal(lane_scalar, scalar));
    CHECK(at::equal(lane_norm, norm));

    const at::Tensor v_ricci = at::randn({count, N, N}, at::kDouble);
    const at::Tensor v_scalar = at::randn({count}, at::kDouble), v_norm = at::randn({count}, at::kDouble);
    nmflow::MetricJet v{at::empty_like(jet.g), at::empty_like(jet.dg), at::empty_like(jet.d2g)};
    scalar_backward<N>(jet, ricci, v_ricci, v_scalar, v_norm, v);
    nmflow::MetricJet lane_v{at::empty_like(jet.g), at::empty_like(jet.dg), at::empty_like(jet.d2g)};
    nmflow::curvature_backward_lanes_cpu(
        N, jet.g.data_ptr<double>(), jet.dg.data_ptr<double>(), jet.d2g.data_ptr<double>(), ricci.data_ptr<double>(),
        v_ricci.data_ptr<double>(), v_scalar.data_ptr<double>(), v_norm.data_ptr<double>(), count,
        lane_v.g.data_ptr<double>(), lane_v.dg.data_ptr<double>(), lane_v.d2g.data_ptr<double>());
    CHECK(at::equal(lane_v.g, v.g));
    CHECK(at::equal(lane_v.dg, v.dg));
    CHECK(at::equal(lane_v.d2g, v.d2g));
  }
}

}  // namespace

TEST_CASE("Curvature lanes reproduce the scalar curvature_point and its VJP bit for bit, n = 2..6",
          "[geometry][lanes]") {
  // Which copy runs: ctest runs this case again with NMFLOW_CPU_LEVEL=3 and =1 (cpu_targets.h).
  WARN("curvature lanes: the x86-64 level " << nmflow::cpu_x86_64_level() << " copy");
  at::manual_seed(31);
  check_dimension<2>();
  check_dimension<3>();
  check_dimension<4>();
  check_dimension<5>();
  check_dimension<6>();
}
