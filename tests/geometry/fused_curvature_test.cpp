#include <ATen/ATen.h>
#include <catch2/catch.hpp>
#include <torch/csrc/autograd/autograd.h>

#include <cmath>

#include "common/error.h"
#include "geometry/autograd_jet.h"
#include "geometry/curvature/curvature_reference.h"
#include "geometry/curvature/fused_curvature.h"
#include "support/random_jet.h"
#include "support/tolerance.h"

using nmflow::MetricJet;
using nmflow::test::random_jet;
using nmflow::test::requiring_grad;
using nmflow::test::symmetrize;

namespace {

// A random symmetric direction in jet space, for finite differences.
MetricJet random_direction(int64_t batch, int64_t n) {
  return symmetrize(MetricJet{at::randn({batch, n, n}, at::kDouble), at::randn({batch, n, n, n}, at::kDouble),
                              at::randn({batch, n, n, n, n}, at::kDouble)});
}

// Cotangents for Ricci (deliberately not symmetric), R and |Ric|².
struct Cotangents {
  at::Tensor ricci;   // [B, n, n]
  at::Tensor scalar;  // [B]
  at::Tensor norm;    // [B]
};

Cotangents random_cotangents(int64_t batch, int64_t n) {
  return Cotangents{at::randn({batch, n, n}, at::kDouble), at::randn({batch}, at::kDouble),
                    at::randn({batch}, at::kDouble)};
}

at::Tensor fused_loss(const MetricJet& jet, const Cotangents& v) {
  const auto c = nmflow::fused_curvature(jet);
  return (c.ricci * v.ricci).sum() + (c.scalar * v.scalar).sum() + (c.ricci_norm_squared * v.norm).sum();
}

at::Tensor reference_loss(const MetricJet& jet, const Cotangents& v) {
  const auto c = nmflow::curvature_reference(jet);
  return (c.ricci * v.ricci).sum() + (c.scalar * v.scalar).sum() + (nmflow::ricci_norm_squared(c) * v.norm).sum();
}

MetricJet gradient(const at::Tensor& loss, const MetricJet& jet) {
  const auto grads = torch::autograd::grad({loss}, {jet.g, jet.dg, jet.d2g});
  return MetricJet{grads[0], grads[1], grads[2]};
}

// Round sphere of radius r in the stereographic chart: g = 4 r² |dx|² / (1 + |x|²)² (docs/design.md §6).
at::Tensor round_sphere_metric(const at::Tensor& x, double r) {
  const int64_t n = x.size(1);
  const at::Tensor conformal = 4.0 * r * r / (1.0 + (x * x).sum(1)).pow(2);  // [B]
  return conformal.view({-1, 1, 1}) * at::eye(n, x.options()).expand({x.size(0), n, n});
}

}  // namespace

TEST_CASE("Fused Ricci, scalar curvature and |Ric|^2 equal the reference ops on random SPD jets (n = 2..6)",
          "[geometry]") {
  at::manual_seed(11);
  for (int64_t n = 2; n <= 6; ++n) {
    INFO("n = " << n);
    const MetricJet jet = random_jet(64, n);
    const auto fused = nmflow::fused_curvature(jet);
    const auto reference = nmflow::curvature_reference(jet);
    CHECK_CLOSE(fused.ricci, reference.ricci, 1e-12);
    CHECK_CLOSE(fused.scalar, reference.scalar, 1e-12);
    CHECK_CLOSE(fused.ricci_norm_squared, nmflow::ricci_norm_squared(reference), 1e-12);
  }
}

TEST_CASE("Fused curvature of the round S^n (stereographic and a skewed linear chart) is Ric = (n-1)/r^2 g, "
          "R = n(n-1)/r^2",
          "[geometry]") {
  at::manual_seed(12);
  const double r = 1.7;
  for (int64_t n = 2; n <= 6; ++n) {
    INFO("n = " << n);
    // y = M x with M generic: g_x = Mᵀ g_y(Mx) M is non-diagonal, and Ric = (n−1)/r² g holds in any chart.
    const at::Tensor m = at::eye(n, at::kDouble) + 0.3 * at::randn({n, n}, at::kDouble);
    for (const bool skewed : {false, true}) {
      INFO("skewed chart: " << skewed);
      const auto metric = [&](const at::Tensor& x) {
        if (!skewed) {
          return round_sphere_metric(x, r);
        }
        return at::matmul(at::matmul(m.t(), round_sphere_metric(at::matmul(x, m.t()), r)), m);
      };
      const at::Tensor x = 0.5 * at::randn({16, n}, at::kDouble);
      const MetricJet jet = nmflow::jet_by_autograd(metric, x);
      const auto fused = nmflow::fused_curvature(jet);
      const double einstein = (n - 1) / (r * r);
      // 1e-11, not 1e-12: the skewed chart can make g ill-conditioned (cond ≈ 170 at n = 4 with this seed), and
      // R = g^ij R_ij amplifies Ricci's rounding by |g⁻¹| (measured 7.5e-13 there; ≤ 5e-15 in the other cases).
      CHECK_CLOSE(fused.ricci, einstein * jet.g, 1e-11);
      CHECK_CLOSE(fused.scalar, at::full({16}, n * einstein, at::kDouble), 1e-11);
      CHECK_CLOSE(fused.ricci_norm_squared, at::full({16}, n * einstein * einstein, at::kDouble), 1e-11);
    }
  }
}

TEST_CASE("Fused backward equals autograd through the reference ops, projected onto symmetric jets (n = 2..6)",
          "[geometry]") {
  at::manual_seed(13);
  for (int64_t n = 2; n <= 6; ++n) {
    INFO("n = " << n);
    const MetricJet jet = requiring_grad(random_jet(16, n));
    const Cotangents v = random_cotangents(16, n);
    const MetricJet fused = gradient(fused_loss(jet, v), jet);
    const MetricJet reference = symmetrize(gradient(reference_loss(jet, v), jet));
    CHECK_CLOSE(fused.g, reference.g, 1e-10);
    CHECK_CLOSE(fused.dg, reference.dg, 1e-10);
    CHECK_CLOSE(fused.d2g, reference.d2g, 1e-10);
  }
}

TEST_CASE("Fused backward matches central finite differences along random symmetric directions (n = 2..6)",
          "[geometry]") {
  at::manual_seed(14);
  const double h = 1e-5;  // truncation O(h²) and rounding O(ε/h) both stay near 1e-9 relative
  for (int64_t n = 2; n <= 6; ++n) {
    INFO("n = " << n);
    const MetricJet jet = random_jet(4, n);
    const Cotangents v = random_cotangents(4, n);
    for (int trial = 0; trial < 3; ++trial) {
      const MetricJet dir = random_direction(4, n);
      const MetricJet x = requiring_grad(jet);
      const MetricJet grad = gradient(fused_loss(x, v), x);
      const double analytic =
          ((grad.g * dir.g).sum() + (grad.dg * dir.dg).sum() + (grad.d2g * dir.d2g).sum()).item<double>();
      const auto shifted = [&](double t) {
        return fused_loss(MetricJet{jet.g + t * dir.g, jet.dg + t * dir.dg, jet.d2g + t * dir.d2g}, v)
            .item<double>();
      };
      const double numeric = (shifted(h) - shifted(-h)) / (2 * h);
      INFO("analytic " << analytic << ", central difference " << numeric);
      CHECK(std::abs(analytic - numeric) <= 1e-6 * std::max(std::abs(analytic), 1.0));
    }
  }
}

TEST_CASE("Fused curvature in float32 agrees with float64 to 1e-5 (forward and backward)", "[geometry]") {
  at::manual_seed(15);
  for (int64_t n = 2; n <= 6; ++n) {
    INFO("n = " << n);
    const MetricJet jet = random_jet(32, n);
    const MetricJet jet32{jet.g.to(at::kFloat), jet.dg.to(at::kFloat), jet.d2g.to(at::kFloat)};
    const auto fused32 = nmflow::fused_curvature(jet32);
    const auto fused64 = nmflow::fused_curvature(jet);
    REQUIRE(fused32.ricci.scalar_type() == at::kFloat);
    CHECK_CLOSE(fused32.ricci, fused64.ricci, 1e-5);
    CHECK_CLOSE(fused32.scalar, fused64.scalar, 1e-5);
    CHECK_CLOSE(fused32.ricci_norm_squared, fused64.ricci_norm_squared, 1e-5);

    const Cotangents v = random_cotangents(32, n);
    const Cotangents v32{v.ricci.to(at::kFloat), v.scalar.to(at::kFloat), v.norm.to(at::kFloat)};
    const MetricJet x32 = requiring_grad(jet32);
    const MetricJet x64 = requiring_grad(jet);
    const MetricJet grad32 = gradient(fused_loss(x32, v32), x32);
    const MetricJet grad64 = gradient(fused_loss(x64, v), x64);
    CHECK_CLOSE(grad32.g, grad64.g, 1e-5);
    CHECK_CLOSE(grad32.dg, grad64.dg, 1e-5);
    CHECK_CLOSE(grad32.d2g, grad64.d2g, 1e-5);
  }
}

TEST_CASE("Fused curvature handles an empty batch and non-contiguous jets", "[geometry]") {
  at::manual_seed(16);
  const auto empty = nmflow::fused_curvature(random_jet(0, 3));
  CHECK(empty.ricci.sizes() == at::IntArrayRef({0, 3, 3}));
  CHECK(empty.scalar.sizes() == at::IntArrayRef({0}));

  const MetricJet jet = random_jet(16, 4);
  const MetricJet strided{jet.g.slice(0, 0, 16, 2), jet.dg.slice(0, 0, 16, 2), jet.d2g.slice(0, 0, 16, 2)};
  REQUIRE_FALSE(strided.d2g.is_contiguous());
  const auto fused = nmflow::fused_curvature(strided);
  const auto reference = nmflow::curvature_reference(strided);
  CHECK_CLOSE(fused.ricci, reference.ricci, 1e-12);
  CHECK_CLOSE(fused.scalar, reference.scalar, 1e-12);
}

TEST_CASE("Fused curvature rejects bad jets with nmflow::Error naming the sizes and allowed values", "[geometry]") {
  at::manual_seed(17);
  const MetricJet good = random_jet(4, 3);

  const MetricJet wrong_shape{good.g, good.dg.select(1, 0), good.d2g};
  CHECK_THROWS_AS(nmflow::fused_curvature(wrong_shape), nmflow::Error);
  CHECK_THROWS_WITH(nmflow::fused_curvature(wrong_shape), Catch::Contains("[4, 3, 3]") && Catch::Contains("dg"));

  const MetricJet seven = random_jet(2, 7);
  CHECK_THROWS_AS(nmflow::fused_curvature(seven), nmflow::Error);
  CHECK_THROWS_WITH(nmflow::fused_curvature(seven), Catch::Contains("n = 7") && Catch::Contains("2..6"));
  CHECK_THROWS_WITH(nmflow::fused_curvature(random_jet(2, 1)), Catch::Contains("n = 1") && Catch::Contains("2..6"));

  const MetricJet mixed{good.g, good.dg.to(at::kFloat), good.d2g};
  CHECK_THROWS_AS(nmflow::fused_curvature(mixed), nmflow::Error);
  CHECK_THROWS_WITH(nmflow::fused_curvature(mixed), Catch::Contains("Double") && Catch::Contains("Float"));

  const MetricJet half{good.g.to(at::kHalf), good.dg.to(at::kHalf), good.d2g.to(at::kHalf)};
  CHECK_THROWS_AS(nmflow::fused_curvature(half), nmflow::Error);
  CHECK_THROWS_WITH(nmflow::fused_curvature(half), Catch::Contains("float32 or float64") && Catch::Contains("Half"));
}

TEST_CASE("Fused curvature fails loudly on double backward", "[geometry]") {
  at::manual_seed(18);
  const MetricJet jet = requiring_grad(random_jet(4, 3));
  const at::Tensor scalar_sum = nmflow::fused_curvature(jet).scalar.sum();
  const auto first = torch::autograd::grad({scalar_sum}, {jet.g}, {}, /*retain_graph=*/true, /*create_graph=*/true);
  REQUIRE(first[0].requires_grad());
  CHECK_THROWS_WITH(torch::autograd::grad({first[0].sum()}, {jet.g}), Catch::Contains("double backward"));
}
