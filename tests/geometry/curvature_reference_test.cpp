#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cmath>

#include "geometry/autograd_jet.h"
#include "geometry/curvature/curvature_reference.h"
#include "support/tolerance.h"

using nmflow::MetricJet;

namespace {

// Round sphere of radius r in the stereographic chart: g = 4 r² |dx|² / (1 + |x|²)² (docs/design.md §6).
at::Tensor round_sphere_metric(const at::Tensor& x, double r) {
  const int64_t n = x.size(1);
  const at::Tensor conformal = 4.0 * r * r / (1.0 + (x * x).sum(1)).pow(2);  // [B]
  return conformal.view({-1, 1, 1}) * at::eye(n, x.options()).expand({x.size(0), n, n});
}

}  // namespace

TEST_CASE("Round S^n of radius r has Ric = (n-1)/r^2 g and R = n(n-1)/r^2 (reference ops, autograd jet)",
          "[geometry]") {
  at::manual_seed(7);
  const double r = 1.7;
  for (int64_t n : {2, 3, 4}) {
    const at::Tensor x = at::randn({16, n}, at::kDouble);
    const MetricJet jet = nmflow::jet_by_autograd([&](const at::Tensor& y) { return round_sphere_metric(y, r); }, x);
    const auto curvature = nmflow::curvature_reference(jet);
    CHECK_CLOSE(curvature.ricci, (n - 1) / (r * r) * jet.g, 1e-12);
    CHECK_CLOSE(curvature.scalar, at::full({16}, n * (n - 1) / (r * r), at::kDouble), 1e-12);
    // Riemann of a space form: R^a_bcd = (δ^a_c g_bd − δ^a_d g_bc)/r².
    const at::Tensor delta = at::eye(n, at::kDouble);
    const at::Tensor expected = (at::einsum("ac,zbd->zabcd", {delta, jet.g}) -
                                 at::einsum("ad,zbc->zabcd", {delta, jet.g})) / (r * r);
    CHECK_CLOSE(nmflow::riemann_reference(curvature), expected, 1e-12);
  }
}
