#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <string>

#include "common/error.h"
#include "geometry/curvature/curvature_reference.h"
#include "geometry/manifolds/left_invariant_su2.h"
#include "geometry/manifolds/reference_metric.h"
#include "geometry/manifolds/sampler.h"
#include "support/tolerance.h"

using Catch::Contains;

namespace {

constexpr double kRoundOff = 1e-12;

// mean(w √det g): the volume estimate of the PointSet convention.
double volume(const nmflow::ReferenceMetric& metric, const nmflow::PointSet& points) {
  return (points.weights * at::linalg_det(metric.metric(points.x)).sqrt()).mean().item<double>();
}

// |mean(w f) − exact| within 5 standard errors of the mean: a Monte-Carlo check that fails on a wrong density.
void check_monte_carlo(const at::Tensor& weighted, double exact) {
  const double mean = weighted.mean().item<double>();
  const double error = weighted.std().item<double>() / std::sqrt(static_cast<double>(weighted.size(0)));
  INFO("estimate " << mean << " ± " << error << ", exact " << exact);
  CHECK(error > 0.0);
  CHECK(std::abs(mean - exact) < 5.0 * error);
}

}  // namespace

TEST_CASE("Torus sampler: mean(w sqrt det g) is (2 pi)^n sqrt det G exactly", "[geometry]") {
  const auto points = nmflow::make_sampler("torus", {{"dim", 3}})->sample(500, 1);
  const auto axes = nmflow::make_reference_metric("flat_torus", {{"dim", 3}, {"length1", 1.5}, {"length2", 2.5},
                                                                  {"length3", 4.0}});
  CHECK(volume(*axes, points) == Approx(1.5 * 2.5 * 4.0).epsilon(kRoundOff));
  const auto sheared = nmflow::make_reference_metric("flat_torus", {{"dim", 3}, {"g1_2", 0.3}, {"g2_3", -0.2}});
  // G = I + off-diagonals: det = 1 − 0.3² − 0.2².
  CHECK(volume(*sheared, points) == Approx(std::pow(2.0 * M_PI, 3) * std::sqrt(1.0 - 0.09 - 0.04)).epsilon(kRoundOff));
  CHECK(points.x.min().item<double>() >= 0.0);
  CHECK(points.x.max().item<double>() < 2.0 * M_PI);
}

TEST_CASE("Sphere sampler: Vol(S^n_r) = r^n 2 pi^{(n+1)/2}/Gamma((n+1)/2) exactly, |x| <= 1 in both charts",
          "[geometry]") {
  for (int64_t n : {2, 3, 4}) {
    const double r = 1.7;
    const auto points = nmflow::make_sampler("sphere", {{"dim", n}})->sample(4000, 40 + n);
    const auto metric = nmflow::make_reference_metric("round_sphere", {{"dim", n}, {"radius", r}});
    const double exact = std::pow(r, n) * 2.0 * std::pow(M_PI, 0.5 * (n + 1)) / std::tgamma(0.5 * (n + 1));
    CHECK(volume(*metric, points) == Approx(exact).epsilon(kRoundOff));
    CHECK((points.x * points.x).sum(1).max().item<double>() <= 1.0);
    const double north = (points.chart == 0).to(at::kDouble).mean().item<double>();
    CHECK(north > 0.45);
    CHECK(north < 0.55);
    CHECK((points.chart >= 0).logical_and(points.chart <= 1).all().item<bool>());
    // ∫ y_{n+1}² dV over the unit sphere = Vol/(n+1), with |y_{n+1}| = (1 − |x|²)/(1 + |x|²) in either chart.
    const at::Tensor norm2 = (points.x * points.x).sum(1);
    const at::Tensor height = (1.0 - norm2) / (1.0 + norm2);
    const at::Tensor sqrt_det = at::pow(2.0 / (1.0 + norm2), static_cast<double>(n));
    check_monte_carlo(points.weights * height * height * sqrt_det, nmflow::unit_sphere_volume(n) / (n + 1));
  }
}

TEST_CASE("S^3 sampler: Berger volume A sqrt(B) 2 pi^2 and SU(2) volume sqrt(ABC) 2 pi^2 exactly", "[geometry]") {
  const auto points = nmflow::make_sampler("s3", {})->sample(3000, 7);
  const auto berger = nmflow::make_reference_metric("berger", {{"A", 0.7}, {"B", 2.2}});
  CHECK(volume(*berger, points) == Approx(0.7 * std::sqrt(2.2) * 2.0 * M_PI * M_PI).epsilon(1e-10));
  const auto su2 = nmflow::make_reference_metric("su2", {{"A", 0.5}, {"B", 1.5}, {"C", 3.0}});
  CHECK(volume(*su2, points) == Approx(std::sqrt(0.5 * 1.5 * 3.0) * 2.0 * M_PI * M_PI).epsilon(1e-10));
  // Chart ranges [0, 2π) × [0, π] × [0, 4π).
  CHECK(points.x.min().item<double>() >= 0.0);
  CHECK(points.x.select(1, 0).max().item<double>() < 2.0 * M_PI);
  CHECK(points.x.select(1, 1).max().item<double>() <= M_PI);
  CHECK(points.x.select(1, 2).max().item<double>() < 4.0 * M_PI);
  // Haar-uniform: E[q_m²] = 1/4 for each quaternion component (weights are constant against dV).
  const at::Tensor q = nmflow::s3_quaternion_from_euler(points.x);
  CHECK_CLOSE((q * q).sum(1), at::ones({3000}, at::kDouble), 1e-13);
  for (int m = 0; m < 4; ++m) {
    check_monte_carlo(q.select(1, m).pow(2), 0.25);
  }
}

TEST_CASE("Euler angles from a quaternion invert the quaternion map", "[geometry]") {
  at::manual_seed(21);
  at::Tensor q = at::randn({200, 4}, at::kDouble);
  q = q / q.norm(2, 1, true);
  CHECK_CLOSE(nmflow::s3_quaternion_from_euler(nmflow::s3_euler_from_quaternion(q)), q, 1e-13);
}

TEST_CASE("Hyperbolic box sampler: w sqrt det g is the box's hyperbolic volume at every point", "[geometry]") {
  for (int64_t n : {2, 3, 4}) {
    const double h = 0.8, y_min = 0.3, y_max = 2.5;
    const auto points =
        nmflow::make_sampler("hyperbolic_box", {{"dim", n}, {"half_width", h}, {"y_min", y_min}, {"y_max", y_max}})
            ->sample(2000, 60 + n);
    const auto metric = nmflow::make_reference_metric("hyperbolic", {{"dim", n}});
    const double exact = std::pow(2.0 * h, n - 1) * (std::pow(y_min, 1.0 - n) - std::pow(y_max, 1.0 - n)) / (n - 1);
    CHECK(volume(*metric, points) == Approx(exact).epsilon(kRoundOff));
    const at::Tensor y = points.x.select(1, n - 1);
    CHECK(y.min().item<double>() >= y_min);
    CHECK(y.max().item<double>() <= y_max);
    CHECK(points.x.narrow(1, 0, n - 1).abs().max().item<double>() <= h);
    // ∫ y dV = (2h)^{n−1} ∫ y^{1−n} dy.
    const double y_integral =
        n == 2 ? std::log(y_max / y_min) : (std::pow(y_min, 2.0 - n) - std::pow(y_max, 2.0 - n)) / (n - 2);
    const double moment = std::pow(2.0 * h, n - 1) * y_integral;
    check_monte_carlo(points.weights * y * at::pow(y, -static_cast<double>(n)), moment);
  }
}

TEST_CASE("King-Rosenau sampler: area -8 pi t exactly and Gauss-Bonnet integral of R dA = 8 pi", "[geometry]") {
  for (double t : {-0.3, -1.5}) {
    const auto points = nmflow::make_sampler("king_rosenau", {{"t", t}})->sample(4000, 3);
    const auto metric = nmflow::make_reference_metric("king_rosenau", {{"t", t}});
    CHECK(volume(*metric, points) == Approx(-8.0 * M_PI * t).epsilon(kRoundOff));
    const auto curvature = nmflow::curvature_reference(metric->jet(points.x));
    check_monte_carlo(points.weights * curvature.scalar * at::linalg_det(metric->metric(points.x)).sqrt(),
                      8.0 * M_PI);  // ∫ R dA = 2 ∫ K dA = 4π χ(S²)
  }
}

TEST_CASE("Conformal torus sampled uniformly: Gauss-Bonnet integral of R dA = 0", "[geometry]") {
  const auto points = nmflow::make_sampler("torus", {})->sample(4000, 9);
  const auto metric = nmflow::make_reference_metric("conformal_torus", {{"cos_1_1", 0.4}, {"sin_0_2", 0.3}});
  const auto curvature = nmflow::curvature_reference(metric->jet(points.x));
  check_monte_carlo(points.weights * curvature.scalar * at::linalg_det(metric->metric(points.x)).sqrt(), 0.0);
}

TEST_CASE("Product sampler: S^2(r) x T^k volume 4 pi r^2 L^k exactly; weights multiply, charts combine",
          "[geometry]") {
  for (int64_t k : {1, 2}) {
    const double r = 0.9, length = 3.0;
    const auto sampler = nmflow::make_sampler("sphere_torus", {{"torus_dim", k}});
    CHECK(sampler->num_charts() == 2);
    const auto points = sampler->sample(1000, 30 + k);
    const auto metric =
        nmflow::make_reference_metric("sphere_torus", {{"radius", r}, {"torus_dim", k}, {"length", length}});
    CHECK(volume(*metric, points) == Approx(4.0 * M_PI * r * r * std::pow(length, k)).epsilon(kRoundOff));
    // The sphere factor alone, drawn from the same generator first, gives the same points and charts.
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(30 + k);
    const auto sphere = nmflow::make_sphere_sampler(2)->draw(1000, generator);
    CHECK(at::equal(points.x.narrow(1, 0, 2), sphere.x));
    CHECK(at::equal(points.chart, sphere.chart));
    CHECK_CLOSE(points.weights, sphere.weights * std::pow(2.0 * M_PI, k), kRoundOff);
  }
}

TEST_CASE("Every sampler is deterministic: the same seed gives identical tensors", "[geometry]") {
  for (const std::string& name : nmflow::sampler_names()) {
    INFO(name);
    const auto sampler = nmflow::make_sampler(name, {});
    const auto a = sampler->sample(100, 1234);
    const auto b = sampler->sample(100, 1234);
    const auto c = sampler->sample(100, 1235);
    CHECK(at::equal(a.x, b.x));
    CHECK(at::equal(a.weights, b.weights));
    CHECK(at::equal(a.chart, b.chart));
    CHECK_FALSE(at::equal(a.x, c.x));
    CHECK(a.x.size(1) == sampler->dim());
    CHECK(a.chart.scalar_type() == at::kLong);
    CHECK(at::isfinite(a.weights).all().item<bool>());
    CHECK((a.weights > 0).all().item<bool>());
  }
}

TEST_CASE("Every metric with a sampler maps to one whose dimension matches", "[geometry]") {
  for (const std::string& name : nmflow::reference_metric_names()) {
    INFO(name);
    if (name == "cigar") {
      CHECK_THROWS_WITH(nmflow::sampler_name_for_metric(name), Contains("no sampler") && Contains("cigar"));
      continue;
    }
    const auto metric = nmflow::make_reference_metric(name, {});
    const auto sampler = nmflow::make_sampler(nmflow::sampler_name_for_metric(name), {});
    CHECK(sampler->dim() == metric->dim());
  }
}

TEST_CASE("Factories reject unknown names, unknown parameters and out-of-range values by message", "[geometry]") {
  using nmflow::make_reference_metric;
  using nmflow::make_sampler;
  CHECK_THROWS_AS(make_reference_metric("sphere", {}), nmflow::Error);
  CHECK_THROWS_WITH(make_reference_metric("sphere", {}),
                    Contains("unknown reference metric 'sphere'") && Contains("round_sphere") && Contains("berger"));
  CHECK_THROWS_WITH(make_reference_metric("round_sphere", {{"r", 1.0}}),
                    Contains("unknown parameter(s) 'r'") && Contains("allowed: dim, radius"));
  CHECK_THROWS_WITH(make_reference_metric("round_sphere", {{"radius", 0.0}}),
                    Contains("'radius' must be > 0, got 0"));
  CHECK_THROWS_WITH(make_reference_metric("round_sphere", {{"dim", 1}}), Contains("'dim' must be in [2, 8], got 1"));
  CHECK_THROWS_WITH(make_reference_metric("hyperbolic", {{"dim", 2.5}}), Contains("'dim' must be an integer"));
  CHECK_THROWS_WITH(make_reference_metric("berger", {{"A", -1.0}}), Contains("'A' must be > 0, got -1"));
  CHECK_THROWS_WITH(make_reference_metric("su2", {{"C", 0.0}}), Contains("'C' must be > 0"));
  CHECK_THROWS_WITH(make_reference_metric("king_rosenau", {{"t", 0.5}}), Contains("'t' must be < 0"));
  CHECK_THROWS_WITH(make_reference_metric("flat_torus", {{"length2", -1.0}}), Contains("'length2' must be > 0"));
  CHECK_THROWS_WITH(make_reference_metric("flat_torus", {{"g1_2", 2.0}}), Contains("positive definite"));
  CHECK_THROWS_WITH(make_reference_metric("flat_torus", {{"length3", 1.0}}),
                    Contains("unknown parameter(s) 'length3'"));
  CHECK_THROWS_WITH(make_reference_metric("conformal_torus", {{"cos_1", 0.3}}),
                    Contains("'cos_1' is not of the form cos_<kx>_<ky>"));
  CHECK_THROWS_WITH(make_reference_metric("round_sphere", {{"radius", std::nan("")}}), Contains("must be finite"));
  CHECK_THROWS_WITH(make_sampler("ball", {}), Contains("unknown sampler 'ball'") && Contains("hyperbolic_box"));
  CHECK_THROWS_WITH(make_sampler("s3", {{"dim", 3}}), Contains("unknown parameter(s) 'dim'"));
  CHECK_THROWS_WITH(make_sampler("hyperbolic_box", {{"y_min", 3.0}}), Contains("'y_max' must be > y_min"));
  CHECK_THROWS_WITH(make_sampler("sphere", {})->sample(0, 1), Contains("count must be > 0"));
  CHECK_THROWS_WITH(make_reference_metric("round_sphere", {})->metric(at::zeros({4, 3}, at::kDouble)),
                    Contains("x must be [B, 2]"));
}
