#include <ATen/ATen.h>
#include <catch2/catch.hpp>
#include <torch/csrc/autograd/autograd.h>

#include <cmath>
#include <map>
#include <string>

#include "geometry/autograd_jet.h"
#include "geometry/curvature/curvature_reference.h"
#include "geometry/manifolds/conformal_torus.h"
#include "geometry/manifolds/left_invariant_su2.h"
#include "geometry/manifolds/reference_metric.h"
#include "geometry/manifolds/sampler.h"
#include "geometry/manifolds/taylor2.h"
#include "support/tolerance.h"

using nmflow::MetricJet;
using nmflow::ReferenceMetric;

namespace {

constexpr double kJetTol = 1e-12;
constexpr double kCurvatureTol = 1e-10;

// Every elementary function Taylor2 supports, written once for S = double, Taylor2<2> and at::Tensor.
template <class S>
S every_function(const S& x, const S& y) {
  using std::asinh;
  using std::cos;
  using std::cosh;
  using std::exp;
  using std::log;
  using std::pow;
  using std::sin;
  using std::sinh;
  using std::sqrt;
  using std::tanh;
  return sin(x) * cos(y) + exp(x * y) / (1.0 + x * x) + log(2.0 + y * y) + sqrt(3.0 + x) +
         pow(1.5 + y * y, 1.7) + tanh(x - y) + sinh(0.3 * x) * cosh(0.2 * y) + asinh(x * y) - 2.0 / (4.0 - x) +
         (x - 0.5) * (y + 0.25) - y;
}

void check_jet_matches_autograd(const ReferenceMetric& metric, const at::Tensor& x) {
  INFO(metric.name());
  const MetricJet exact = metric.jet(x);
  const MetricJet autograd = nmflow::jet_by_autograd([&](const at::Tensor& y) { return metric.metric(y); }, x);
  CHECK_CLOSE(exact.g, autograd.g, kJetTol);
  CHECK_CLOSE(exact.dg, autograd.dg, kJetTol);
  CHECK_CLOSE(exact.d2g, autograd.d2g, kJetTol);
}

nmflow::CurvatureReference curvature_of(const ReferenceMetric& metric, const at::Tensor& x) {
  return nmflow::curvature_reference(metric.jet(x));
}

// Euler angles away from the chart's degenerate set sin β = 0: [count, 3].
at::Tensor euler_points(int64_t count) {
  const at::Tensor u = at::rand({count, 3}, at::kDouble);
  return at::stack({2.0 * M_PI * u.select(1, 0), 0.3 + (M_PI - 0.6) * u.select(1, 1), 4.0 * M_PI * u.select(1, 2)},
                   1);
}

// Ric in the orthonormal left-invariant frame e_i = X_i/√λ_i: E^{−T} Ric E^{−1} / √(λ_i λ_j), E the coframe.
at::Tensor ricci_in_su2_frame(const at::Tensor& ricci, const at::Tensor& x, double a, double b, double c) {
  const at::Tensor inverse_coframe = at::linalg_inv(nmflow::s3_coframe(x));  // [B, a, i]: X_i = E⁻¹_ai ∂_a
  const at::Tensor in_x_frame = at::einsum("zai,zab,zbj->zij", {inverse_coframe, ricci, inverse_coframe});
  const at::Tensor scale = at::tensor({a, b, c}, at::kDouble).rsqrt();
  return in_x_frame * scale.view({1, 3, 1}) * scale.view({1, 1, 3});
}

}  // namespace

TEST_CASE("Taylor2 carries exact first and second derivatives of every elementary function", "[geometry]") {
  at::manual_seed(11);
  const at::Tensor points = 0.8 * at::rand({12, 2}, at::kDouble) - 0.4;
  // The same template on tensor columns, differentiated twice by autograd through g = f·I.
  const MetricJet autograd = nmflow::jet_by_autograd(
      [](const at::Tensor& p) {
        const at::Tensor f = every_function(p.select(1, 0), p.select(1, 1));
        return f.view({-1, 1, 1}) * at::eye(2, p.options());
      },
      points);
  const auto acc = points.accessor<double, 2>();
  for (int64_t b = 0; b < points.size(0); ++b) {
    const double x = acc[b][0], y = acc[b][1];
    const auto t = every_function(nmflow::Taylor2<2>::variable(x, 0), nmflow::Taylor2<2>::variable(y, 1));
    CHECK(t.v == Approx(every_function(x, y)).epsilon(1e-15));
    CHECK(t.v == Approx(autograd.g[b][0][0].item<double>()).epsilon(1e-14));
    for (int c = 0; c < 2; ++c) {
      CHECK(t.d[c] == Approx(autograd.dg[b][c][0][0].item<double>()).epsilon(1e-13));
      for (int e = 0; e < 2; ++e) {
        CHECK(t.hessian(c, e) == Approx(autograd.d2g[b][c][e][0][0].item<double>()).epsilon(1e-13).margin(1e-14));
      }
    }
  }
}

TEST_CASE("Every reference metric's exact jet equals the nested-autograd jet of its torch metric", "[geometry]") {
  at::manual_seed(3);
  const std::vector<std::pair<std::string, std::map<std::string, double>>> cases = {
      {"flat_torus", {{"dim", 3}, {"length1", 2.0}, {"length3", 5.0}, {"g1_2", 0.05}}},
      {"round_sphere", {{"dim", 2}, {"radius", 1.7}}},
      {"round_sphere", {{"dim", 4}, {"radius", 0.6}}},
      {"hyperbolic", {{"dim", 3}}},
      {"berger", {{"A", 0.7}, {"B", 1.3}}},
      {"su2", {{"A", 0.8}, {"B", 1.1}, {"C", 1.9}}},
      {"conformal_torus", {{"cos_1_0", 0.3}, {"sin_1_2", -0.2}, {"cos_2_-1", 0.1}}},
      {"sphere_torus", {{"radius", 1.3}, {"torus_dim", 2}}},
      {"cigar", {{"t", 0.3}}},
      {"king_rosenau", {{"t", -0.7}}},
  };
  for (const auto& [name, params] : cases) {
    const auto metric = nmflow::make_reference_metric(name, params);
    at::Tensor x = at::randn({9, metric->dim()}, at::kDouble);
    if (name == "hyperbolic") {
      x.select(1, 2).uniform_(0.5, 2.0);
    } else if (name == "berger" || name == "su2") {
      x = euler_points(9);
    }
    check_jet_matches_autograd(*metric, x);
  }
}

TEST_CASE("Flat torus has Ric = 0", "[geometry]") {
  const auto metric = nmflow::make_reference_metric("flat_torus", {{"dim", 4}, {"length2", 3.0}, {"g1_4", 0.1}});
  const auto curvature = curvature_of(*metric, 2.0 * M_PI * at::rand({32, 4}, at::kDouble));
  CHECK_CLOSE(curvature.ricci, at::zeros({32, 4, 4}, at::kDouble), kCurvatureTol);
  CHECK_CLOSE(curvature.scalar, at::zeros({32}, at::kDouble), kCurvatureTol);
}

TEST_CASE("Round S^n of radius r has Ric = (n-1)/r^2 g and R = n(n-1)/r^2 (exact jet)", "[geometry]") {
  at::manual_seed(5);
  for (double r : {0.6, 1.0, 1.7}) {
    for (int64_t n : {2, 3, 4}) {
      const auto metric = nmflow::make_reference_metric("round_sphere", {{"dim", n}, {"radius", r}});
      const at::Tensor x = nmflow::make_sphere_sampler(n)->sample(64, 100 + n).x;
      const MetricJet jet = metric->jet(x);
      const auto curvature = nmflow::curvature_reference(jet);
      CHECK_CLOSE(curvature.ricci, (n - 1) / (r * r) * jet.g, kCurvatureTol);
      CHECK_CLOSE(curvature.scalar, at::full({64}, n * (n - 1) / (r * r), at::kDouble), kCurvatureTol);
    }
  }
}

TEST_CASE("Hyperbolic H^n has Ric = -(n-1) g and R = -n(n-1)", "[geometry]") {
  for (int64_t n : {2, 3, 4}) {
    const auto metric = nmflow::make_reference_metric("hyperbolic", {{"dim", n}});
    const at::Tensor x =
        nmflow::make_hyperbolic_box_sampler(n, 3.0, 0.05, 20.0)->sample(64, static_cast<uint64_t>(n)).x;
    const MetricJet jet = metric->jet(x);
    const auto curvature = nmflow::curvature_reference(jet);
    // Relative to |g| = 1/y² (up to 400 here): the tolerance helper is relative above 1.
    CHECK_CLOSE(curvature.ricci, -(n - 1) * jet.g, kCurvatureTol);
    CHECK_CLOSE(curvature.scalar, at::full({64}, -static_cast<double>(n * (n - 1)), at::kDouble), kCurvatureTol);
  }
}

TEST_CASE("The Euler-angle coframe is q-bar dq with d sigma_1 = -2 sigma_2 ^ sigma_3 (so [X_i,X_j] = 2 eps X_k)",
          "[geometry]") {
  at::manual_seed(8);
  const at::Tensor x = euler_points(16);
  // ∂_a q by autograd on the quaternion map, then σ_i(∂_a) = Im_i(q̄ ∂_a q).
  at::Tensor xv = x.clone().requires_grad_(true);
  const at::Tensor q = nmflow::s3_quaternion_from_euler(xv);
  std::vector<at::Tensor> dq;  // dq[m]: [B, 3] = ∂_a q_m
  for (int m = 0; m < 4; ++m) {
    dq.push_back(torch::autograd::grad({q.select(1, m).sum()}, {xv}, {}, true)[0]);
  }
  const at::Tensor qd = q.detach();
  const at::Tensor q0 = qd.select(1, 0).unsqueeze(1), q1 = qd.select(1, 1).unsqueeze(1);
  const at::Tensor q2 = qd.select(1, 2).unsqueeze(1), q3 = qd.select(1, 3).unsqueeze(1);
  // Imaginary parts of q̄ p for p = ∂_a q (quaternion product with q̄ = (q0, −q1, −q2, −q3)).
  const at::Tensor sigma1 = q0 * dq[1] - q1 * dq[0] - q2 * dq[3] + q3 * dq[2];
  const at::Tensor sigma2 = q0 * dq[2] - q2 * dq[0] - q3 * dq[1] + q1 * dq[3];
  const at::Tensor sigma3 = q0 * dq[3] - q3 * dq[0] - q1 * dq[2] + q2 * dq[1];
  const at::Tensor coframe = nmflow::s3_coframe(x);
  CHECK_CLOSE(at::stack({sigma1, sigma2, sigma3}, 1), coframe, 1e-13);
  // dσ_i(∂_a, ∂_b) = ∂_a E_ib − ∂_b E_ia against −2 (σ_j ∧ σ_k)(∂_a, ∂_b), (i, j, k) cyclic.
  at::Tensor xe = x.clone().requires_grad_(true);
  const at::Tensor e = nmflow::s3_coframe(xe);
  for (int i = 0; i < 3; ++i) {
    std::vector<at::Tensor> rows;  // rows[b'] : [B, a] = ∂_a E_ib'
    for (int col = 0; col < 3; ++col) {
      rows.push_back(torch::autograd::grad({e.select(1, i).select(1, col).sum()}, {xe}, {}, true)[0]);
    }
    const at::Tensor de = at::stack(rows, 2);  // [B, a, b'] = ∂_a E_ib'
    const at::Tensor d_sigma = de - de.transpose(1, 2);
    const int j = (i + 1) % 3, k = (i + 2) % 3;
    const at::Tensor ej = coframe.select(1, j), ek = coframe.select(1, k);
    const at::Tensor wedge = at::einsum("za,zb->zab", {ej, ek}) - at::einsum("zb,za->zab", {ej, ek});
    CHECK_CLOSE(d_sigma, -2.0 * wedge, 1e-13);
  }
}

TEST_CASE("Unit round S^3 (A = B = C = 1) in the Euler chart has Ric = 2g and R = 6", "[geometry]") {
  at::manual_seed(9);
  const auto metric = nmflow::make_reference_metric("su2", {});
  const at::Tensor x = euler_points(64);
  const MetricJet jet = metric->jet(x);
  const auto curvature = nmflow::curvature_reference(jet);
  CHECK_CLOSE(curvature.ricci, 2.0 * jet.g, kCurvatureTol);
  CHECK_CLOSE(curvature.scalar, at::full({64}, 6.0, at::kDouble), kCurvatureTol);
}

TEST_CASE("Berger sphere: Ric = diag(4/A - 2B/A^2, same, 2B/A^2) in the frame and R = 8/A - 2B/A^2", "[geometry]") {
  at::manual_seed(10);
  for (const auto& [a, b] : std::vector<std::pair<double, double>>{{1.0, 1.0}, {0.5, 1.5}, {2.0, 0.3}, {1.0, 0.25}}) {
    INFO("A = " << a << ", B = " << b);
    const auto metric = nmflow::make_reference_metric("berger", {{"A", a}, {"B", b}});
    const at::Tensor x = euler_points(64);
    const auto curvature = curvature_of(*metric, x);
    const double r11 = 4.0 / a - 2.0 * b / (a * a), r33 = 2.0 * b / (a * a);
    const at::Tensor expected = at::diag(at::tensor({r11, r11, r33}, at::kDouble)).expand({64, 3, 3});
    CHECK_CLOSE(ricci_in_su2_frame(curvature.ricci, x, a, a, b), expected, kCurvatureTol);
    CHECK_CLOSE(curvature.scalar, at::full({64}, 8.0 / a - 2.0 * b / (a * a), at::kDouble), kCurvatureTol);
  }
}

TEST_CASE("Left-invariant SU(2) metric: Ric(e1,e1) = 2(A^2 - (B-C)^2)/(ABC) cyclically, R closed form",
          "[geometry]") {
  at::manual_seed(12);
  for (const auto& abc : std::vector<std::array<double, 3>>{{1.0, 1.0, 1.0}, {0.8, 1.1, 1.9}, {2.5, 0.4, 1.3}}) {
    const double a = abc[0], b = abc[1], c = abc[2];
    INFO("A = " << a << ", B = " << b << ", C = " << c);
    const auto metric = nmflow::make_reference_metric("su2", {{"A", a}, {"B", b}, {"C", c}});
    const at::Tensor x = euler_points(64);
    const auto curvature = curvature_of(*metric, x);
    const double abc_product = a * b * c;
    const at::Tensor diagonal =
        at::tensor({2.0 * (a * a - (b - c) * (b - c)) / abc_product, 2.0 * (b * b - (c - a) * (c - a)) / abc_product,
                    2.0 * (c * c - (a - b) * (a - b)) / abc_product},
                   at::kDouble);
    CHECK_CLOSE(ricci_in_su2_frame(curvature.ricci, x, a, b, c), at::diag(diagonal).expand({64, 3, 3}),
                kCurvatureTol);
    const double scalar = 2.0 * (2.0 * (a * b + b * c + c * a) - (a * a + b * b + c * c)) / abc_product;
    CHECK_CLOSE(curvature.scalar, at::full({64}, scalar, at::kDouble), kCurvatureTol);
  }
}

TEST_CASE("Products S^2(r) x T^k and S^2 x S^1 carry the curvature of the S^2 block only", "[geometry]") {
  for (int64_t k : {1, 2, 3}) {
    const double r = 1.4;
    const auto metric =
        nmflow::make_reference_metric("sphere_torus", {{"radius", r}, {"torus_dim", k}, {"length", 3.0}});
    const at::Tensor x = nmflow::make_sampler("sphere_torus", {{"torus_dim", k}})->sample(48, 20 + k).x;
    const MetricJet jet = metric->jet(x);
    const auto curvature = nmflow::curvature_reference(jet);
    at::Tensor expected = at::zeros_like(jet.g);
    expected.narrow(1, 0, 2).narrow(2, 0, 2).copy_(jet.g.narrow(1, 0, 2).narrow(2, 0, 2) / (r * r));
    CHECK_CLOSE(curvature.ricci, expected, kCurvatureTol);
    CHECK_CLOSE(curvature.scalar, at::full({48}, 2.0 / (r * r), at::kDouble), kCurvatureTol);
  }
}

TEST_CASE("Conformal torus e^{2u}|dx|^2 has R = -2 e^{-2u} Laplacian(u)", "[geometry]") {
  at::manual_seed(13);
  const std::vector<nmflow::FourierMode> modes = {{1, 0, 0.3, 0.0}, {1, 2, 0.0, -0.2}, {2, -1, 0.1, 0.15}};
  const auto metric = nmflow::make_reference_metric(
      "conformal_torus", {{"cos_1_0", 0.3}, {"sin_1_2", -0.2}, {"cos_2_-1", 0.1}, {"sin_2_-1", 0.15}});
  const at::Tensor x = 2.0 * M_PI * at::rand({64, 2}, at::kDouble);
  const auto curvature = curvature_of(*metric, x);
  const at::Tensor u = nmflow::fourier_potential(modes, x);
  const at::Tensor expected = -2.0 * at::exp(-2.0 * u) * nmflow::fourier_potential_laplacian(modes, x);
  CHECK(expected.abs().max().item<double>() > 0.5);  // a genuinely curved metric
  CHECK_CLOSE(curvature.scalar, expected, kCurvatureTol);
  // In two dimensions Ric = (R/2) g.
  CHECK_CLOSE(curvature.ricci, 0.5 * curvature.scalar.view({-1, 1, 1}) * metric->jet(x).g, kCurvatureTol);
}

TEST_CASE("Hamilton's cigar has R = 4 e^{4t} / (e^{4t} + r^2)", "[geometry]") {
  at::manual_seed(14);
  for (double t : {-0.4, 0.0, 0.3}) {
    const auto metric = nmflow::make_reference_metric("cigar", {{"t", t}});
    const at::Tensor x = 3.0 * at::randn({64, 2}, at::kDouble);
    const auto curvature = curvature_of(*metric, x);
    const at::Tensor expected = 4.0 * std::exp(4.0 * t) / (std::exp(4.0 * t) + (x * x).sum(1));
    CHECK_CLOSE(curvature.scalar, expected, kCurvatureTol);
  }
}

TEST_CASE("King-Rosenau: R = 2/sinh(-2t) at the equator, -> 2 coth(-2t) at the poles, conformal formula between",
          "[geometry]") {
  for (double t : {-0.2, -0.7, -2.0}) {
    INFO("t = " << t);
    const auto metric = nmflow::make_reference_metric("king_rosenau", {{"t", t}});
    const double c = std::cosh(2.0 * t), s = std::sinh(-2.0 * t);
    // R = −2e^{−2u} u'' with e^{2u} = 2s/(cosh 2x + c): R(x) = 2(1 + c cosh 2x)/(s (cosh 2x + c)).
    const at::Tensor x = at::stack({at::linspace(-5.0, 5.0, 41, at::kDouble), at::linspace(0.0, 6.0, 41, at::kDouble)},
                                   1);
    const at::Tensor cosh2x = at::cosh(2.0 * x.select(1, 0));
    CHECK_CLOSE(curvature_of(*metric, x).scalar, 2.0 * (1.0 + c * cosh2x) / (s * (cosh2x + c)), kCurvatureTol);
    const at::Tensor equator = at::tensor({0.0, 1.0}, at::kDouble).view({1, 2});
    CHECK_CLOSE(curvature_of(*metric, equator).scalar, at::full({1}, 2.0 / s, at::kDouble), kCurvatureTol);
    // Near the poles R(x) − 2 coth(−2t) = −2s/(cosh 2x + c): relative distance s²/(c (cosh 2x + c)) ≤ 6e-6 at
    // |x| = 8 for these t. Farther out the chart degenerates: R = −2e^{−2u}u'' with u'' ~ e^{−2|x|} computed from
    // O(1) terms, so round-off grows like 1e-16 e^{2|x|} (≈ 3e-6 at |x| = 12).
    const at::Tensor poles = at::tensor({-8.0, 0.5, 8.0, 2.0}, at::kDouble).view({2, 2});
    CHECK_CLOSE(curvature_of(*metric, poles).scalar, at::full({2}, 2.0 * c / s, at::kDouble), 1e-5);
  }
}
