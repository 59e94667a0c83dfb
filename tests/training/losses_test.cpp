// Tests of the curvature losses and Perelman's functional (src/training/losses.h, perelman.h; docs/design.md §4) against
// closed-form values, and of Perelman's first variation by central finite differences on a torus grid.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/autograd.h>

#include "common/error.h"
#include "training/losses.h"
#include "training/perelman.h"
#include "geometry/autograd_jet.h"
#include "geometry/manifolds/left_invariant_su2.h"
#include "geometry/manifolds/sampler.h"
#include "geometry/manifolds/space_forms.h"
#include "models/neural_metric.h"
#include "support/tolerance.h"

using namespace nmflow;

namespace {

double rel(double a, double b) { return std::abs(a - b) / std::max({std::abs(a), std::abs(b), 1e-300}); }

double term(const LossValue& loss, const std::string& name) {
  for (const auto& [key, value] : loss.terms) {
    if (key == name) return value;
  }
  FAIL("no loss term named " << name);
  return 0.0;
}

MetricJet combine(const MetricJet& a, const MetricJet& b, double eps) {
  return {a.g + eps * b.g, a.dg + eps * b.dg, a.d2g + eps * b.d2g};
}

ScalarJet2 combine(const ScalarJet2& a, const ScalarJet2& b, double eps) {
  return {a.value + eps * b.value, a.grad + eps * b.grad, a.hess + eps * b.hess};
}

const CurvatureBackend kBackends[] = {CurvatureBackend::Reference, CurvatureBackend::Fused};

}  // namespace

TEST_CASE("Ricci norm of the round S^n of radius r is n(n-1)^2/r^4 times its volume", "[flows]") {
  for (const int64_t n : {2, 3}) {
    const double r = 1.7;
    const PointSet points = make_sphere_sampler(n)->sample(64, 11);
    const MetricJet jet = make_round_sphere(n, r)->jet(points.x);
    const double volume = unit_sphere_volume(n) * std::pow(r, n);
    for (const CurvatureBackend backend : kBackends) {
      INFO("n = " << n << ", backend " << curvature_backend_name(backend));
      const LossValue loss = ricci_norm_loss(points.weights, jet, backend);
      // The sphere sampler's w √det g is constant, so these Monte-Carlo values are exact to round-off.
      CHECK(rel(loss.total.item<double>(), n * (n - 1.0) * (n - 1.0) / std::pow(r, 4) * volume) < 1e-12);
      CHECK(rel(term(loss, "volume"), volume) < 1e-12);
      CHECK(rel(term(loss, "mean_scalar"), n * (n - 1.0) / (r * r)) < 1e-12);
    }
  }
}

TEST_CASE("Einstein loss vanishes on the round sphere for lambda = (n-1)/r^2 and grows as n dlambda^2 Vol", "[flows]") {
  const int64_t n = 3;
  const double r = 0.8;
  const PointSet points = make_sphere_sampler(n)->sample(64, 5);
  const MetricJet jet = make_round_sphere(n, r)->jet(points.x);
  const double volume = unit_sphere_volume(n) * std::pow(r, n);
  const double lambda = (n - 1.0) / (r * r);
  for (const CurvatureBackend backend : kBackends) {
    INFO("backend " << curvature_backend_name(backend));
    CHECK(einstein_loss(points.weights, jet, backend, {lambda}).total.item<double>() < 1e-20);
    const LossValue automatic = einstein_loss(points.weights, jet, backend);
    CHECK(automatic.total.item<double>() < 1e-20);
    CHECK(rel(term(automatic, "lambda"), lambda) < 1e-12);
    // |Ric − (λ₀+δ) g|² = |δ g|² = n δ².
    const double delta = 0.3;
    CHECK(rel(einstein_loss(points.weights, jet, backend, {lambda + delta}).total.item<double>(),
              n * delta * delta * volume) < 1e-12);
  }
}

TEST_CASE("Einstein and Ricci norm losses of the Berger sphere A=1, B=1/2 match its Ricci eigenvalues (3, 3, 1)",
          "[flows]") {
  const PointSet points = make_s3_euler_sampler()->sample(128, 3);
  const MetricJet jet = make_berger_sphere(1.0, 0.5)->jet(points.x);
  const double volume = 2 * M_PI * M_PI * std::sqrt(0.5);
  // Orthonormal-frame Ricci: 4/A − 2B/A² = 3 (twice), 2B/A² = 1; R = 7.
  for (const CurvatureBackend backend : kBackends) {
    INFO("backend " << curvature_backend_name(backend));
    CHECK(rel(ricci_norm_loss(points.weights, jet, backend).total.item<double>(), 19.0 * volume) < 1e-10);
    const LossValue automatic = einstein_loss(points.weights, jet, backend);
    CHECK(rel(term(automatic, "lambda"), 7.0 / 3.0) < 1e-10);
    CHECK(rel(automatic.total.item<double>(), 8.0 / 3.0 * volume) < 1e-10);  // 2(2/3)² + (4/3)²
    CHECK(rel(einstein_loss(points.weights, jet, backend, {2.0}).total.item<double>(), 3.0 * volume) < 1e-10);
  }
}

TEST_CASE("Volume penalty of the round S^2 of radius r against 4 pi is (r^2 - 1)^2", "[flows]") {
  const PointSet points = make_sphere_sampler(2)->sample(32, 1);
  const MetricJet jet = make_round_sphere(2, 1.3)->jet(points.x);
  const LossValue penalty = volume_penalty(points.weights, jet, 4 * M_PI);
  CHECK(rel(penalty.total.item<double>(), std::pow(1.3 * 1.3 - 1.0, 2)) < 1e-12);
  CHECK(rel(term(penalty, "volume"), 4 * M_PI * 1.69) < 1e-12);
  CHECK_THROWS_AS(volume_penalty(points.weights, jet, -1.0), Error);
}

TEST_CASE("Loss gradients in the network parameters match central finite differences, on both backends",
          "[flows]") {
  MlpConfig trunk;
  trunk.input_dim = 2;
  trunk.hidden = {12};
  trunk.seed = 4;
  MetricHead head;
  head.kind = MetricHeadKind::Symmetric;
  head.dim = 2;
  head.reference = 2.0 * at::eye(2, at::kDouble);
  NeuralMetric model(trunk, head);
  const PointSet points = make_sphere_sampler(2)->sample(48, 9);
  const std::vector<at::Tensor> params = model.parameters();
  std::vector<at::Tensor> direction;
  for (const at::Tensor& p : params) direction.push_back(at::randn_like(p));
  const double eps = 1e-5;
  for (const CurvatureBackend backend : kBackends) {
    INFO("backend " << curvature_backend_name(backend));
    auto loss_at = [&](double t) {
      {
        const at::NoGradGuard no_grad;
        for (size_t i = 0; i < params.size(); ++i) params[i].add_(t * direction[i]);
      }
      const LossValue value = add_loss(einstein_loss(points.weights, model.jet(points.x), backend),
                                       volume_penalty(points.weights, model.jet(points.x), 10.0), 0.5);
      {
        const at::NoGradGuard no_grad;
        for (size_t i = 0; i < params.size(); ++i) params[i].sub_(t * direction[i]);
      }
      return value;
    };
    const LossValue base = add_loss(einstein_loss(points.weights, model.jet(points.x), backend),
                                    volume_penalty(points.weights, model.jet(points.x), 10.0), 0.5);
    const std::vector<at::Tensor> grads = torch::autograd::grad({base.total}, params);
    double analytic = 0.0;
    for (size_t i = 0; i < params.size(); ++i) analytic += (grads[i] * direction[i]).sum().item<double>();
    const double numeric =
        (loss_at(eps).total.item<double>() - loss_at(-eps).total.item<double>()) / (2 * eps);
    INFO("analytic " << analytic << ", numeric " << numeric);
    CHECK(std::abs(analytic) > 1e-6);
    CHECK(rel(analytic, numeric) < 1e-6);
  }
}

TEST_CASE("Perelman F of the round S^n with a constant dilaton is R Vol e^{-f}, slaved or given", "[flows]") {
  const int64_t n = 2;
  const double r = 1.4;
  const PointSet points = make_sphere_sampler(n)->sample(64, 2);
  const MetricJet jet = make_round_sphere(n, r)->jet(points.x);
  const double volume = unit_sphere_volume(n) * std::pow(r, n);
  const double scalar = n * (n - 1.0) / (r * r);
  const double c = 0.25;
  const int64_t b = points.x.size(0);
  const ScalarJet2 constant{at::full({b}, c, at::kDouble), at::zeros({b, n}, at::kDouble),
                            at::zeros({b, n, n}, at::kDouble)};
  // Uniform sphere points have density ∝ √det ĝ (unit round metric) in either stereographic chart.
  const ScalarJet2 log_density = log_volume_density_jet(make_round_sphere(n, 1.0)->jet(points.x));
  const ScalarJet2 slaved = slaved_dilaton(jet, log_density, c);  // f = n log r + c everywhere
  CHECK_CLOSE(slaved.value, at::full({b}, n * std::log(r) + c, at::kDouble), 1e-12);
  CHECK(slaved.grad.abs().max().item<double>() < 1e-12);
  for (const CurvatureBackend backend : kBackends) {
    INFO("backend " << curvature_backend_name(backend));
    const LossValue given = perelman_f(points.weights, jet, constant, backend);
    CHECK(rel(given.total.item<double>(), scalar * volume * std::exp(-c)) < 1e-12);
    CHECK(rel(term(given, "weighted_volume"), volume * std::exp(-c)) < 1e-12);
    CHECK(rel(perelman_f(points.weights, jet, slaved, backend).total.item<double>(),
              scalar * volume * std::pow(r, -n) * std::exp(-c)) < 1e-12);
  }
}

namespace {

// A non-round metric on T² = [0, 2π)² with smooth periodic coefficients, a direction v, a dilaton f and a
// direction h, all analytic. A uniform grid integrates periodic analytic functions to round-off, so the
// integrations by parts behind Perelman's first variation hold on the grid.
struct TorusData {
  at::Tensor x;        // [B, 2]
  at::Tensor weights;  // [B] = (2π)²
  MetricJet g0, v;
  ScalarJet2 f0, h;
};

at::Tensor torus_metric(const at::Tensor& x) {
  const at::Tensor a = x.select(1, 0), b = x.select(1, 1);
  const at::Tensor conformal = at::exp(0.6 * at::sin(a) * at::cos(b));
  const at::Tensor g11 = conformal * (1.0 + 0.3 * at::cos(a));
  const at::Tensor g12 = conformal * 0.2 * at::sin(a + b);
  const at::Tensor g22 = conformal * (1.0 + 0.2 * at::sin(2.0 * b));
  return at::stack({at::stack({g11, g12}, 1), at::stack({g12, g22}, 1)}, 1);
}

at::Tensor torus_direction(const at::Tensor& x) {
  const at::Tensor a = x.select(1, 0), b = x.select(1, 1);
  const at::Tensor v11 = at::cos(b), v12 = 0.5 * at::sin(a), v22 = 0.7 * at::sin(a + b);
  return at::stack({at::stack({v11, v12}, 1), at::stack({v12, v22}, 1)}, 1);
}

// s · (sin(k·x + φ)) with its 2-jet.
ScalarJet2 wave(const at::Tensor& x, double s, double kx, double ky, double phase) {
  const at::Tensor arg = kx * x.select(1, 0) + ky * x.select(1, 1) + phase;
  const at::Tensor k = at::tensor({kx, ky}, at::kDouble);
  const at::Tensor kk = at::outer(k, k);
  return {s * at::sin(arg), s * at::cos(arg).unsqueeze(1) * k, -s * at::sin(arg).view({-1, 1, 1}) * kk};
}

TorusData torus_data(int64_t side) {
  TorusData d;
  const at::Tensor t = at::arange(side, at::kDouble) * (2 * M_PI / side);
  const std::vector<at::Tensor> mesh = at::meshgrid({t, t}, "ij");
  d.x = at::stack({mesh[0].reshape(-1), mesh[1].reshape(-1)}, 1);
  d.weights = at::full({side * side}, 4 * M_PI * M_PI, at::kDouble);
  d.g0 = jet_by_autograd(torus_metric, d.x);
  d.v = jet_by_autograd(torus_direction, d.x);
  d.f0 = combine(wave(d.x, 0.4, 1, 2, 0.3), wave(d.x, 0.3, -1, 1, 1.1), 1.0);
  d.h = wave(d.x, 0.5, 2, -1, 0.7);
  return d;
}

}  // namespace

TEST_CASE("Perelman first variation equals the central difference of F on a torus grid", "[flows]") {
  const TorusData d = torus_data(48);
  const double eps = 1e-4;
  SECTION("dilaton given: delta g = v, delta f = h") {
    for (const CurvatureBackend backend : kBackends) {
      auto f_at = [&](double t) {
        return perelman_f(d.weights, combine(d.g0, d.v, t), combine(d.f0, d.h, t), backend).total.item<double>();
      };
      const double numeric = (f_at(eps) - f_at(-eps)) / (2 * eps);
      const double formula = perelman_first_variation(d.weights, d.g0, d.f0, d.v.g, d.h.value, backend).item<double>();
      INFO("backend " << curvature_backend_name(backend) << ": numeric " << numeric << ", formula " << formula
                      << ", relative difference " << rel(numeric, formula));
      CHECK(std::abs(formula) > 0.1);
      CHECK(rel(numeric, formula) < 1e-7);
    }
  }
  SECTION("dilaton slaved to the flat grid measure: delta f = v/2, delta F = -int v_ij (R^ij + Hess^ij f)") {
    for (const CurvatureBackend backend : kBackends) {
      auto f_at = [&](double t) {
        const MetricJet g = combine(d.g0, d.v, t);
        return perelman_f(d.weights, g, slaved_dilaton(g, {}), backend).total.item<double>();
      };
      const double numeric = (f_at(eps) - f_at(-eps)) / (2 * eps);
      const ScalarJet2 f0 = slaved_dilaton(d.g0, {});
      const at::Tensor half_trace = 0.5 * (at::inverse(d.g0.g) * d.v.g).sum({-2, -1});
      const double formula =
          perelman_first_variation(d.weights, d.g0, f0, d.v.g, half_trace, backend).item<double>();
      INFO("backend " << curvature_backend_name(backend) << ": numeric " << numeric << ", formula " << formula
                      << ", relative difference " << rel(numeric, formula));
      CHECK(std::abs(formula) > 0.1);
      CHECK(rel(numeric, formula) < 1e-7);
    }
  }
}

TEST_CASE("Along Perelman's flow dF/dt = 2 int |Ric + Hess f|^2 e^{-f} dV >= 0", "[flows]") {
  const TorusData d = torus_data(24);
  const CurvatureBackend backend = CurvatureBackend::Reference;
  const at::Tensor velocity = perelman_velocity(d.g0, d.f0, backend);  // −2(Ric + ∇∇f)
  // ∂_t f = −Δf − R = ½ tr_g(v), since tr_g(v) = −2(R + Δf): the measure e^{−f}dV stays fixed.
  const at::Tensor g_inv = at::inverse(d.g0.g);
  const at::Tensor h = 0.5 * (g_inv * velocity).sum({-2, -1});
  const double rate = perelman_first_variation(d.weights, d.g0, d.f0, velocity, h, backend).item<double>();
  const at::Tensor t_up = at::matmul(at::matmul(g_inv, velocity), g_inv);
  const at::Tensor density = at::linalg_det(d.g0.g).sqrt();
  const double expected =
      integrate_volume(d.weights, 0.5 * (velocity * t_up).sum({-2, -1}) * at::exp(-d.f0.value), density)
          .item<double>();  // 2|Ric + ∇∇f|² = ½|v|²
  CHECK(expected > 0.1);
  CHECK(rel(rate, expected) < 1e-12);
}

TEST_CASE("Perelman lambda is R = 2/r^2 on the round S^2 and falls below mean R = 0 on a torus as the basis grows",
          "[flows]") {
  const double r = 1.2;
  const PointSet points = make_sphere_sampler(2)->sample(200, 8);
  const MetricJet jet = make_round_sphere(2, r)->jet(points.x);
  const int64_t b = points.x.size(0);
  // Basis {1, y₃} with y₃ the height on the unit sphere, ±(1 − |x|²)/(1 + |x|²) in the two charts; the constant is the
  // exact ground state of −4Δ + R when R is constant.
  const at::Tensor r2 = (points.x * points.x).sum(1);
  const at::Tensor sign = 1.0 - 2.0 * points.chart.to(at::kDouble);
  const at::Tensor height = sign * (1.0 - r2) / (1.0 + r2);
  const at::Tensor height_grad = (sign * -4.0 / (1.0 + r2).square()).unsqueeze(1) * points.x;
  const at::Tensor basis = at::stack({at::ones({b}, at::kDouble), height}, 1);
  const at::Tensor basis_grad = at::stack({at::zeros({b, 2}, at::kDouble), height_grad}, 1);
  for (const CurvatureBackend backend : kBackends) {
    const double lambda = perelman_lambda(points.weights, jet, basis, basis_grad, backend).item<double>();
    CHECK(rel(lambda, 2.0 / (r * r)) < 1e-10);
  }
  // On a non-round torus metric (∫R dV = 0 by Gauss–Bonnet) λ lies strictly below the constant's value mean R = 0.
  const TorusData d = torus_data(32);
  const int64_t bt = d.x.size(0);
  const ScalarJet2 w1 = wave(d.x, 1.0, 1, 0, 0.0), w2 = wave(d.x, 1.0, 0, 1, 0.5), w3 = wave(d.x, 1.0, 1, 1, 0.2);
  const at::Tensor ones = at::ones({bt, 1}, at::kDouble), zeros = at::zeros({bt, 1, 2}, at::kDouble);
  const double lambda1 =
      perelman_lambda(d.weights, d.g0, ones, zeros, CurvatureBackend::Reference).item<double>();
  const double lambda3 = perelman_lambda(d.weights, d.g0, at::cat({ones, at::stack({w1.value, w2.value}, 1)}, 1),
                                         at::cat({zeros, at::stack({w1.grad, w2.grad}, 1)}, 1),
                                         CurvatureBackend::Reference)
                             .item<double>();
  const double lambda4 =
      perelman_lambda(d.weights, d.g0, at::cat({ones, at::stack({w1.value, w2.value, w3.value}, 1)}, 1),
                      at::cat({zeros, at::stack({w1.grad, w2.grad, w3.grad}, 1)}, 1), CurvatureBackend::Reference)
          .item<double>();
  INFO("lambda with 1, 3, 4 basis functions: " << lambda1 << ", " << lambda3 << ", " << lambda4);
  CHECK(std::abs(lambda1) < 1e-10);
  CHECK(lambda3 <= lambda1 + 1e-12);
  CHECK(lambda4 <= lambda3 + 1e-12);
  CHECK(lambda4 < -1e-3);
}
