// Tests of the Ricci-flow reference integrators (src/flows/, docs/design.md §4 "RicciFlowReference", §6 oracles).
// Fitted convergence orders and errors are attached with INFO; run the binary with -s to see them.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <memory>
#include <vector>

#include "flows/reference/conformal_surface_flow.h"
#include "flows/reference/homogeneous_ricci_flow.h"
#include "flows/reference/homogeneous_ricci_ode.h"
#include "flows/reference/ode_integrator.h"
#include "flows/reference/periodic_spectral.h"
#include "flows/reference/ricci_deturck_flow.h"
#include "geometry/autograd_jet.h"
#include "geometry/curvature/curvature_reference.h"
#include "geometry/manifolds/conformal_torus.h"
#include "geometry/manifolds/flat_torus.h"
#include "geometry/manifolds/left_invariant_su2.h"
#include "geometry/manifolds/product_metric.h"
#include "geometry/manifolds/space_forms.h"
#include "support/tolerance.h"

using namespace nmflow;

namespace {

// The grids here are small (≤ 48², 16³): LibTorch's intra-op thread pool only adds overhead, and on a shared
// 2-core machine it made run times erratic (16 s single-threaded vs 2.5 min under load). The grid tests run
// single-threaded inside this scope and restore the previous setting (the binary is shared with other tests).
class SingleThreaded {
 public:
  SingleThreaded() : previous_(at::get_num_threads()) { at::set_num_threads(1); }
  ~SingleThreaded() { at::set_num_threads(previous_); }
  SingleThreaded(const SingleThreaded&) = delete;
  SingleThreaded& operator=(const SingleThreaded&) = delete;

 private:
  int previous_;
};

double rel(double a, double b) { return std::abs(a - b) / std::max(std::abs(a), std::abs(b)); }

// Points of S^3 in the Euler chart away from the coordinate singularity sin β = 0.
at::Tensor euler_points(int64_t count) {
  const at::Tensor u = at::rand({count, 3}, at::kDouble);
  return at::stack({2 * M_PI * u.select(1, 0), 0.3 + (M_PI - 0.6) * u.select(1, 1), 4 * M_PI * u.select(1, 2)}, 1);
}

// −2 Ric of the chart metric g = Eᵀ diag(λ(y)) E expressed in the invariant frame X_a = (E⁻¹)_{·a}, against the
// ODE's velocity (diagonal) and its scalar curvature; and the ODE's chart Ricci tensor against the engine's.
void check_velocity_against_engine(const HomogeneousRicciOde& ode, const std::vector<double>& y, const at::Tensor& x,
                                   const MetricJet& jet) {
  const CurvatureReference curvature = curvature_reference(jet);
  const at::Tensor e_inv = at::linalg_inv(ode.coframe(x));
  const at::Tensor ricci_frame = at::einsum("pba,pbc,pcd->pad", {e_inv, curvature.ricci, e_inv});
  const at::Tensor expected = at::diag_embed(at::tensor(ode.frame_weights(ode.velocity(y)), at::kDouble))
                                  .expand({x.size(0), ode.dim(), ode.dim()});
  INFO(ode.name());
  CHECK_CLOSE(-2.0 * ricci_frame, expected, 1e-10);
  CHECK_CLOSE(curvature.scalar, at::full({x.size(0)}, ode.scalar_curvature(y), at::kDouble), 1e-10);
  CHECK_CLOSE(ode.ricci(x, y), curvature.ricci, 1e-10);
}

MetricJet autograd_jet_of(const HomogeneousRicciOde& ode, const std::vector<double>& y, const at::Tensor& x) {
  return jet_by_autograd([&](const at::Tensor& p) { return ode.metric(p, y); }, x);
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Homogeneous flows as ODEs.

TEST_CASE("ODE velocities equal -2 Ric of the curvature engine in the invariant frame", "[flows]") {
  at::manual_seed(11);
  SECTION("SU(2) Aσ1² + Bσ2² + Cσ3² and Berger, exact Taylor jet of the geometry module's metric") {
    const auto ode = make_su2_ode();
    for (const std::vector<double>& y : std::vector<std::vector<double>>{{1.3, 0.6, 2.2}, {0.9, 0.9, 0.35},
                                                                         {1.0, 1.0, 1.0}, {2.0, 0.5, 0.5}}) {
      const at::Tensor x = euler_points(16);
      const auto reference = make_left_invariant_su2(y[0], y[1], y[2]);
      CHECK_CLOSE(ode->metric(x, y), reference->metric(x), 1e-13);
      check_velocity_against_engine(*ode, y, x, reference->jet(x));
    }
    // Berger: dA/dt = −8 + 4B/A, dB/dt = −4B²/A² (docs/design.md §6).
    const double a = 0.8, b = 0.3;
    const std::vector<double> v = ode->velocity({a, a, b});
    CHECK(rel(v[0], -8.0 + 4.0 * b / a) < 1e-14);
    CHECK(rel(v[1], -8.0 + 4.0 * b / a) < 1e-14);
    CHECK(rel(v[2], -4.0 * b * b / (a * a)) < 1e-14);
  }
  SECTION("Nil, autograd jet of the coframe metric") {
    const auto ode = make_nil_ode();
    const std::vector<double> y = {0.7, 1.9, 1.2};
    const at::Tensor x = at::randn({16, 3}, at::kDouble);
    check_velocity_against_engine(*ode, y, x, autograd_jet_of(*ode, y, x));
  }
  SECTION("Round S^n and hyperbolic H^n") {
    for (int64_t n : {2, 3, 4}) {
      const double rho = 1.7;
      const auto sphere = make_space_form_ode(n, 1);
      const at::Tensor x = at::randn({12, n}, at::kDouble);
      CHECK_CLOSE(sphere->metric(x, {rho}), make_round_sphere(n, std::sqrt(rho))->metric(x), 1e-13);
      check_velocity_against_engine(*sphere, {rho}, x, make_round_sphere(n, std::sqrt(rho))->jet(x));
      const auto hyperbolic = make_space_form_ode(n, -1);
      at::Tensor xh = x.clone();
      xh.select(1, n - 1).copy_(0.5 + at::rand({12}, at::kDouble));
      CHECK_CLOSE(hyperbolic->metric(xh, {1.0}), make_hyperbolic(n)->metric(xh), 1e-13);
      check_velocity_against_engine(*hyperbolic, {rho}, xh, autograd_jet_of(*hyperbolic, {rho}, xh));
    }
  }
  SECTION("S^2(r) x T^2 against the product reference metric") {
    const auto ode = make_sphere_torus_ode(2, 2);
    const std::vector<double> y = {2.5, 1.0, 1.0};
    const at::Tensor x = at::randn({12, 4}, at::kDouble);
    const auto product = make_product_metric(make_round_sphere(2, std::sqrt(2.5)), make_flat_torus({1, 0, 0, 1}, 2));
    CHECK_CLOSE(ode->metric(x, y), product->metric(x), 1e-13);
    check_velocity_against_engine(*ode, y, x, product->jet(x));
  }
}

TEST_CASE("Round S^n flow is g(t) = (r0^2 - 2(n-1)t) g_unit, extinct at r0^2/(2(n-1)) to 1e-8", "[flows]") {
  const at::Tensor x = at::randn({8, 3}, at::kDouble);
  const double r0 = 1.3;
  auto flow = HomogeneousRicciFlow(make_space_form_ode(3, 1), {r0 * r0});
  flow.step(0.2);
  flow.step(0.1);
  const double scale = r0 * r0 - 4.0 * 0.3;
  CHECK_CLOSE(flow.observe(x).g, make_round_sphere(3, std::sqrt(scale))->metric(x), 1e-12);
  CHECK_CLOSE(flow.observe(x).scalar, at::full({8}, 6.0 / scale, at::kDouble), 1e-12);
  for (int64_t n : {2, 3, 5}) {
    const double exact = round_sphere_extinction_time(n, r0);
    const double numeric = extinction_time(*make_space_form_ode(n, 1), {r0 * r0});
    INFO("n = " << n << ": extinction " << numeric << " vs " << exact << ", rel err " << rel(numeric, exact));
    CHECK(rel(numeric, exact) < 1e-8);
  }
  CHECK(std::abs(round_sphere_extinction_time(3, 1.0) - 0.25) < 1e-15);
}

TEST_CASE("Berger sphere extinction time matches the closed form; (A0, B0) = (1, 0.25) gives 0.172522", "[flows]") {
  CHECK(std::abs(berger_extinction_time(1.0, 0.25) - 0.172522) < 5e-7);
  const auto ode = make_su2_ode();
  for (const auto& ab : std::vector<std::pair<double, double>>{{1.0, 0.25}, {1.0, 1.0}, {2.0, 0.5}, {1.0, 1.6},
                                                               {0.7, 3.0}, {1.0, 0.01}}) {
    const double exact = berger_extinction_time(ab.first, ab.second);
    const double numeric = extinction_time(*ode, {ab.first, ab.first, ab.second});
    INFO("(A0, B0) = (" << ab.first << ", " << ab.second << "): " << numeric << " vs " << exact << ", rel err "
                         << rel(numeric, exact));
    CHECK(rel(numeric, exact) < 1e-8);
  }
  // A general SU(2) metric becomes round: Aσ1² + Bσ2² + Cσ3² rescaled by its size tends to A = B = C.
  auto flow = HomogeneousRicciFlow(make_su2_ode(), {1.0, 0.6, 0.3});
  const double t_ext = extinction_time(*ode, {1.0, 0.6, 0.3});
  flow.step(t_ext * (1.0 - 1e-3));
  const std::vector<double>& y = flow.state().y;
  CHECK(std::abs(y[1] / y[0] - 1.0) < 1e-2);
  CHECK(std::abs(y[2] / y[0] - 1.0) < 1e-2);
}

TEST_CASE("Nil flow follows A0(1+12q0 t)^(-1/3), B,C ~ (1+12q0 t)^(1/3), R = -2q0/(1+12q0 t)", "[flows]") {
  const double a0 = 1.3, b0 = 0.7, c0 = 2.1, q0 = a0 / (b0 * c0);
  auto exact = [&](double t) {
    const double s = 1.0 + 12.0 * q0 * t;
    return std::vector<double>{a0 / std::cbrt(s), b0 * std::cbrt(s), c0 * std::cbrt(s)};
  };
  auto flow = HomogeneousRicciFlow(make_nil_ode(), {a0, b0, c0});
  for (double t : {0.5, 2.0, 10.0}) {
    flow.step(t - flow.time());
    for (int i = 0; i < 3; ++i) {
      CHECK(rel(flow.state().y[i], exact(t)[i]) < 1e-10);
    }
    CHECK(rel(flow.observe(at::zeros({1, 3}, at::kDouble)).scalar.item<double>(), -2.0 * q0 / (1 + 12 * q0 * t)) <
          1e-10);
  }
  // Fixed-step RK4 on the same ODE: global error O(dt⁴).
  const auto ode = make_nil_ode();
  const OdeRhs rhs = [&](double, const std::vector<double>& y) { return ode->velocity(y); };
  std::vector<double> errors;
  for (double dt : {0.1, 0.05, 0.025}) {
    std::vector<double> y = {a0, b0, c0};
    for (int k = 0; k < static_cast<int>(std::lround(1.0 / dt)); ++k) {
      y = rk4_step(rhs, k * dt, y, dt);
    }
    errors.push_back(std::abs(y[0] - exact(1.0)[0]));
  }
  const double order = std::log2(errors[1] / errors[2]);
  INFO("RK4 errors " << errors[0] << " " << errors[1] << " " << errors[2] << ", fitted order " << order);
  CHECK(order > 3.7);
  CHECK(order < 4.3);
}

TEST_CASE("S^2(r) x T^k: the sphere factor shrinks as r^2 - 2t, the flat factor stays; H^n grows as 1 + 2(n-1)t",
          "[flows]") {
  auto flow = HomogeneousRicciFlow(make_sphere_torus_ode(2, 1), {2.0, 3.0});
  flow.step(0.4);
  const at::Tensor x = at::randn({6, 3}, at::kDouble);
  const auto expected = make_product_metric(make_round_sphere(2, std::sqrt(2.0 - 0.8)), make_flat_torus({3.0}, 1));
  CHECK_CLOSE(flow.observe(x).g, expected->metric(x), 1e-12);
  CHECK_CLOSE(flow.observe(x).scalar, at::full({6}, 2.0 / 1.2, at::kDouble), 1e-12);
  CHECK(rel(extinction_time(*make_sphere_torus_ode(2, 1), {2.0, 3.0}), 1.0) < 1e-8);

  for (int64_t n : {2, 3}) {
    auto hyperbolic = HomogeneousRicciFlow(make_space_form_ode(n, -1), {1.0});
    hyperbolic.step(0.75);
    at::Tensor xh = at::randn({6, n}, at::kDouble);
    xh.select(1, n - 1).copy_(0.5 + at::rand({6}, at::kDouble));
    CHECK_CLOSE(hyperbolic.observe(xh).g, (1.0 + 2.0 * (n - 1) * 0.75) * make_hyperbolic(n)->metric(xh), 1e-12);
  }
}

TEST_CASE("Perelman lambda of homogeneous metrics: Einstein dλ/dt = (2/n)λ², Berger dλ/dt = 2|Ric|² > (2/n)λ²",
          "[flows]") {
  // For a homogeneous metric R is constant, so the ground state of −4Δ + R is constant and λ = R; along Ricci flow
  // dλ/dt = 2∫|Ric + ∇∇f|² e^{−f}dV = 2|Ric|² (docs/design.md §6), which is (2/n)R² exactly when g is Einstein.
  // dλ/dt by central differences of the integrated R(t), Richardson-extrapolated (error O(h⁴) ≈ 1e-12).
  auto lambda_rate = [&](std::shared_ptr<const HomogeneousRicciOde> ode, std::vector<double> y0, double t) {
    auto central = [&](double h) {
      HomogeneousRicciFlow minus(ode, y0), plus(ode, y0);
      minus.step(t - h);
      plus.step(t + h);
      return (ode->scalar_curvature(plus.state().y) - ode->scalar_curvature(minus.state().y)) / (2 * h);
    };
    const double rate = (4.0 * central(5e-4) - central(1e-3)) / 3.0;
    HomogeneousRicciFlow mid(ode, y0);
    mid.step(t);
    return std::make_pair(rate, mid.state().y);
  };
  const at::Tensor x = euler_points(4);
  {
    std::shared_ptr<const HomogeneousRicciOde> sphere = make_space_form_ode(3, 1);
    const auto [rate, y] = lambda_rate(sphere, {1.0}, 0.1);
    const double lambda = sphere->scalar_curvature(y);
    CHECK(rel(lambda, 6.0 / (1.0 - 0.4)) < 1e-12);
    INFO("round S^3: dλ/dt = " << rate << ", (2/3)λ² = " << 2.0 / 3.0 * lambda * lambda);
    CHECK(rel(rate, 2.0 / 3.0 * lambda * lambda) < 1e-9);
  }
  {
    std::shared_ptr<const HomogeneousRicciOde> su2 = make_su2_ode();
    const auto [rate, y] = lambda_rate(su2, {1.0, 1.0, 0.4}, 0.05);
    const CurvatureReference curvature = curvature_reference(make_left_invariant_su2(y[0], y[1], y[2])->jet(x));
    const double ric2 = ricci_norm_squared(curvature)[0].item<double>();
    const double lambda = su2->scalar_curvature(y);
    INFO("Berger dλ/dt = " << rate << ", 2|Ric|² = " << 2 * ric2 << ", (2/3)λ² = " << 2.0 / 3.0 * lambda * lambda);
    CHECK(rel(rate, 2.0 * ric2) < 1e-9);
    CHECK(rate > 1.01 * 2.0 / 3.0 * lambda * lambda);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Spectral calculus on periodic grids.

TEST_CASE("Spectral derivatives and trigonometric interpolation are exact on band-limited fields", "[flows]") {
  const SingleThreaded single_threaded;
  at::manual_seed(3);
  SECTION("T^2, N = 16, including the Nyquist cosine") {
    const PeriodicGrid grid{2, 16};
    auto field = [](const at::Tensor& p) {
      const at::Tensor x = p.select(1, 0), y = p.select(1, 1);
      return at::sin(2 * x + 3 * y) + 0.5 * at::cos(7 * x - y) + 0.3 * at::cos(8 * x);
    };
    const at::Tensor pts = grid.points();
    const at::Tensor x = pts.select(1, 0), y = pts.select(1, 1);
    const at::Tensor f = field(pts).view({1, 16, 16});
    const at::Tensor fx = 2 * at::cos(2 * x + 3 * y) - 3.5 * at::sin(7 * x - y);  // ∂_x (sin 8x vanishes on grid)
    const at::Tensor fy = 3 * at::cos(2 * x + 3 * y) + 0.5 * at::sin(7 * x - y);
    const at::Tensor fxx = -4 * at::sin(2 * x + 3 * y) - 24.5 * at::cos(7 * x - y) - 19.2 * at::cos(8 * x);
    const at::Tensor fxy = -6 * at::sin(2 * x + 3 * y) + 3.5 * at::cos(7 * x - y);
    const at::Tensor fyy = -9 * at::sin(2 * x + 3 * y) - 0.5 * at::cos(7 * x - y);
    const at::Tensor grad = spectral_gradient(f, grid).reshape({2, -1});
    CHECK_CLOSE(grad[0], fx, 1e-12);
    CHECK_CLOSE(grad[1], fy, 1e-12);
    const at::Tensor hess = spectral_hessian(f, grid).reshape({2, 2, -1});
    CHECK_CLOSE(hess[0][0], fxx, 1e-12);
    CHECK_CLOSE(hess[0][1], fxy, 1e-12);
    CHECK_CLOSE(hess[1][0], fxy, 1e-12);
    CHECK_CLOSE(hess[1][1], fyy, 1e-12);
    CHECK_CLOSE(spectral_laplacian(f, grid).reshape({-1}), fxx + fyy, 1e-12);
    const at::Tensor probes = 20.0 * at::rand({50, 2}, at::kDouble) - 5.0;
    CHECK_CLOSE(trigonometric_interpolation(f, grid, probes)[0], field(probes), 1e-12);
  }
  SECTION("T^3, N = 8, odd N = 9") {
    for (int64_t big_n : {8, 9}) {
      const PeriodicGrid grid{3, big_n};
      auto field = [](const at::Tensor& p) {
        return at::cos(p.select(1, 0) - 2 * p.select(1, 1) + 3 * p.select(1, 2)) + at::sin(3 * p.select(1, 2));
      };
      const at::Tensor f = field(grid.points()).view({1, big_n, big_n, big_n});
      const at::Tensor probes = 7.0 * at::rand({40, 3}, at::kDouble);
      CHECK_CLOSE(trigonometric_interpolation(f, grid, probes)[0], field(probes), 1e-12);
      const at::Tensor p = grid.points();
      const at::Tensor lap = -14 * at::cos(p.select(1, 0) - 2 * p.select(1, 1) + 3 * p.select(1, 2)) -
                             9 * at::sin(3 * p.select(1, 2));
      CHECK_CLOSE(spectral_laplacian(f, grid).reshape({-1}), lap, 1e-12);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Surfaces in conformal gauge and the Ricci–DeTurck flow on periodic grids.

namespace {

// A strongly non-round conformal factor (R ranges over about ±20) ...
const std::vector<FourierMode> kSurfaceModes = {{1, 0, 0.4, 0.0}, {1, 2, 0.0, 0.3}, {0, 3, -0.2, 0.0}};
// ... and a gentler one whose solution's spectrum decays fast enough to show spectral convergence down to 1e-12
// (with kSurfaceModes the products e^{−2u}Δu fill modes 3m with amplitude ~0.2^m/m!: N = 24 reaches only ~1e-5).
const std::vector<FourierMode> kSmoothModes = {{1, 0, 0.4, 0.0}, {1, 1, 0.0, 0.3}};

at::Tensor grid_u(const PeriodicGrid& grid, const std::vector<FourierMode>& modes) {
  return fourier_potential(modes, grid.points()).view({grid.points_per_axis, grid.points_per_axis}).contiguous();
}

// (2/M) Σ u cos(k·x): the cos(k·x) amplitude of a grid field [N…] (k ≠ 0).
double cos_amplitude(const at::Tensor& u, const PeriodicGrid& grid, const std::vector<double>& k) {
  const at::Tensor phase = at::matmul(grid.points(), at::tensor(k, at::kDouble));
  return 2.0 * (u.reshape({-1}) * at::cos(phase)).mean().item<double>();
}

// Diffeomorphism invariants of a surface: area, ∫R dA, ∫R² dA, ∫R³ dA (grid quadrature, spectrally accurate).
std::vector<double> surface_invariants(const at::Tensor& scalar, const at::Tensor& density, double cell_area) {
  const at::Tensor r = scalar.reshape({-1}), w = density.reshape({-1}) * cell_area;
  return {w.sum().item<double>(), (r * w).sum().item<double>(), (r * r * w).sum().item<double>(),
          (r * r * r * w).sum().item<double>()};
}

at::Tensor conformal_metric_on_grid(const at::Tensor& u) {
  const at::Tensor c = at::exp(2.0 * u.reshape({-1}));
  return c.view({-1, 1, 1}) * at::eye(2, at::kDouble).expand({c.size(0), 2, 2});
}

double fitted_order(double coarse_error, double fine_error, double ratio) {
  return std::log(coarse_error / fine_error) / std::log(ratio);
}

// Max-norm errors of solve(N, substep) against a finer reference, and the orders they imply: in time at N = 16
// over substeps halving from dt0 (3 steps, reference dt_ref), in space at substep 2e-4 over N = 8, 12, 16, 24
// (reference N_ref), the space order fitted from 16 → 24.
struct ConvergenceMeasurement {
  std::vector<double> time_errors;
  std::vector<double> space_errors;
  double order_t1 = 0.0;
  double order_t2 = 0.0;
  double order_h = 0.0;
};

ConvergenceMeasurement measure_convergence(const std::function<at::Tensor(int64_t, double)>& solve, double dt0,
                                           double dt_ref, int64_t n_ref) {
  ConvergenceMeasurement m;
  const at::Tensor reference_t = solve(16, dt_ref);
  for (double dt : {dt0, dt0 / 2, dt0 / 4}) {
    m.time_errors.push_back((solve(16, dt) - reference_t).abs().max().item<double>());
  }
  m.order_t1 = fitted_order(m.time_errors[0], m.time_errors[1], 2.0);
  m.order_t2 = fitted_order(m.time_errors[1], m.time_errors[2], 2.0);
  const at::Tensor reference_h = solve(n_ref, 2e-4);
  for (int64_t big_n : {8, 12, 16, 24}) {
    m.space_errors.push_back((solve(big_n, 2e-4) - reference_h).abs().max().item<double>());
  }
  m.order_h = fitted_order(m.space_errors[2], m.space_errors[3], 1.5);
  return m;
}

// RK4: both fitted time orders near 4. The space errors go into the test's log for the checks that follow.
void check_rk4_order_and_report_space_errors(const ConvergenceMeasurement& m) {
  const auto& e_t = m.time_errors;
  const auto& e_h = m.space_errors;
  INFO("time errors " << e_t[0] << " " << e_t[1] << " " << e_t[2] << ", orders " << m.order_t1 << " "
                      << m.order_t2);
  CHECK(m.order_t1 > 3.6);
  CHECK(m.order_t2 > 3.6);
  CHECK(m.order_t2 < 4.4);
  UNSCOPED_INFO("space errors N=8,12,16,24: " << e_h[0] << " " << e_h[1] << " " << e_h[2] << " " << e_h[3]
                                              << ", local order 16→24 " << m.order_h);
}

}  // namespace

TEST_CASE("Conformal gauge: a constant u is static", "[flows]") {
  const SingleThreaded single_threaded;
  const PeriodicGrid grid{2, 16};
  ConformalSurfaceFlow flow(grid, at::full({16, 16}, 0.3, at::kDouble));
  flow.step(0.5);
  CHECK(flow.time() == 0.5);
  CHECK((flow.u() - 0.3).abs().max().item<double>() < 1e-13);
}

TEST_CASE("Conformal gauge: a small mode on e^{2c}|dx|² decays like exp(-e^{-2c}|k|² t)", "[flows]") {
  const SingleThreaded single_threaded;
  const PeriodicGrid grid{2, 16};
  const double eps = 1e-6, t = 0.2;
  for (double c : {0.0, 0.4}) {
    const std::vector<FourierMode> modes = {{1, 2, eps, 0.0}};
    ConformalSurfaceFlow flow(grid, c + grid_u(grid, modes));
    flow.step(t);
    const double measured = cos_amplitude(flow.u(), grid, {1, 2}) / eps;
    const double expected = std::exp(-std::exp(-2 * c) * 5.0 * t);
    INFO("c = " << c << ": amplitude ratio " << measured << " vs " << expected);
    CHECK(rel(measured, expected) < 1e-5);
  }
}

TEST_CASE("Conformal gauge: area is conserved and ∫R dA = 0 (Gauss-Bonnet on T²) while R flattens", "[flows]") {
  const SingleThreaded single_threaded;
  const PeriodicGrid grid{2, 32};
  ConformalSurfaceFlow flow(grid, grid_u(grid, kSurfaceModes));
  const double area0 = flow.area();
  const double max_r0 = flow.scalar_curvature().abs().max().item<double>();
  flow.step(0.3);
  const auto inv = surface_invariants(flow.scalar_curvature(), flow.area_density(), grid.spacing() * grid.spacing());
  INFO("area " << area0 << " -> " << flow.area() << " (rel " << rel(flow.area(), area0) << "), ∫R dA = " << inv[1]);
  CHECK(rel(flow.area(), area0) < 1e-10);  // exact for the semi-discrete scheme; RK4's error is ~3e-11
  CHECK(std::abs(inv[1]) < 1e-10 * area0);
  CHECK(flow.scalar_curvature().abs().max().item<double>() < 0.5 * max_r0);
}

TEST_CASE("Conformal gauge: RK4 converges at order 4 in dt, spectrally in h", "[flows]") {
  const SingleThreaded single_threaded;
  const double t_end = 0.05;
  const at::Tensor probes = 2 * M_PI * at::rand({64, 2}, at::kDouble);
  auto solve = [&](int64_t big_n, double substep) {
    const PeriodicGrid grid{2, big_n};
    ConformalSurfaceFlow flow(grid, grid_u(grid, kSmoothModes), {1.0, substep});
    flow.step(t_end);
    return trigonometric_interpolation(flow.u().unsqueeze(0), grid, probes)[0];
  };
  // Time: N = 16 (stable substep ≈ 2.5e-3 here), substeps 2e-3, 1e-3, 5e-4 against 1.25e-4.
  // Space: fixed substep 2e-4 (stable up to N = 48), N = 8, 12, 16, 24 against N = 48.
  const ConvergenceMeasurement m = measure_convergence(solve, 2e-3, 1.25e-4, 48);
  check_rk4_order_and_report_space_errors(m);
  const auto& e_h = m.space_errors;
  // The solution's spectrum decays like ~10^{−k/1.7} in x (mode 12 ≈ 3e-9), which sets these errors.
  CHECK(e_h[3] < 1e-7);
  CHECK(m.order_h > 8.0);  // far above any finite-difference order: spectral (exponential) convergence
}

TEST_CASE("Ricci-DeTurck exact form equals -2Ric + L_W g with W^k = g^ij Γ^k_ij (curvature engine)", "[flows]") {
  const SingleThreaded single_threaded;
  at::manual_seed(5);
  for (int64_t n : {2, 3}) {
    // A smooth non-diagonal metric g = I + 0.3 sym(M cos(a·x) + N sin(b·x)) with random M, N, a, b.
    const at::Tensor m1 = at::randn({n, n}, at::kDouble), m2 = at::randn({n, n}, at::kDouble);
    const at::Tensor a = at::randn({n}, at::kDouble), b = at::randn({n}, at::kDouble);
    auto metric = [&](const at::Tensor& x) {
      const at::Tensor ca = at::cos(at::matmul(x, a)).view({-1, 1, 1});
      const at::Tensor sb = at::sin(at::matmul(x, b)).view({-1, 1, 1});
      const at::Tensor s = ca * (m1 + m1.t()) + sb * (m2 + m2.t());
      return at::eye(n, at::kDouble) + 0.15 * s + 0.05 * at::matmul(s, s);
    };
    const at::Tensor x = at::randn({10, n}, at::kDouble);
    const MetricJet jet = jet_by_autograd(metric, x);
    const CurvatureReference cur = curvature_reference(jet);
    const at::Tensor& ginv = cur.inverse_metric;
    const at::Tensor w = at::einsum("zij,zkij->zk", {ginv, cur.christoffel});  // W^k = g^ij Γ^k_ij
    // ∂_a W^k = −g^ip ∂_a g_pq g^qj Γ^k_ij + g^ij ∂_a Γ^k_ij.
    const at::Tensor dw = -at::einsum("zip,zapq,zqj,zkij->zak", {ginv, jet.dg, ginv, cur.christoffel}) +
                          at::einsum("zij,zakij->zak", {ginv, cur.christoffel_deriv});
    // (L_W g)_ab = W^k ∂_k g_ab + g_kb ∂_a W^k + g_ak ∂_b W^k.
    const at::Tensor lie = at::einsum("zk,zkab->zab", {w, jet.dg}) + at::einsum("zkb,zak->zab", {jet.g, dw}) +
                           at::einsum("zak,zbk->zab", {jet.g, dw});
    const at::Tensor expected = -2.0 * cur.ricci + lie;
    INFO("n = " << n);
    CHECK_CLOSE(ricci_deturck_velocity(jet), expected, 1e-10);
    CHECK(test::max_relative_error(ricci_deturck_velocity(jet), -2.0 * cur.ricci) > 1e-2);  // L_W g matters here
  }
}

TEST_CASE("Ricci-DeTurck: a small mode on flat T^n decays like exp(-|k|² t) in every component", "[flows]") {
  const SingleThreaded single_threaded;
  const double eps = 1e-6, t = 0.2;
  SECTION("T^2") {
    const PeriodicGrid grid{2, 16};
    const at::Tensor h = at::tensor({1.0, 0.5, 0.5, -0.3}, at::kDouble).view({2, 2});
    const at::Tensor phase = at::matmul(grid.points(), at::tensor({1.0, 2.0}, at::kDouble));
    RicciDeTurckFlow flow(grid, at::eye(2, at::kDouble) + eps * at::cos(phase).view({-1, 1, 1}) * h);
    flow.step(t);
    const at::Tensor dev = (flow.metric() - at::eye(2, at::kDouble)) / eps;  // [M, 2, 2]
    const at::Tensor amplitude = 2.0 * (dev * at::cos(phase).view({-1, 1, 1})).mean(0);
    CHECK_CLOSE(amplitude, std::exp(-5.0 * t) * h, 1e-5);
  }
  SECTION("T^3") {
    const PeriodicGrid grid{3, 8};
    const at::Tensor h = at::tensor({0.6, 0.2, -0.4, 0.2, 1.0, 0.3, -0.4, 0.3, -0.5}, at::kDouble).view({3, 3});
    const at::Tensor phase = at::matmul(grid.points(), at::tensor({1.0, -1.0, 1.0}, at::kDouble));
    RicciDeTurckFlow flow(grid, at::eye(3, at::kDouble) + eps * at::cos(phase).view({-1, 1, 1}) * h);
    flow.step(t);
    const at::Tensor dev = (flow.metric() - at::eye(3, at::kDouble)) / eps;
    const at::Tensor amplitude = 2.0 * (dev * at::cos(phase).view({-1, 1, 1})).mean(0);
    CHECK_CLOSE(amplitude, std::exp(-3.0 * t) * h, 1e-5);
  }
}

TEST_CASE("Ricci-DeTurck from e^{2u}|dx|² stays in conformal gauge (W = 0 in 2-D) and matches it pointwise",
          "[flows]") {
  const SingleThreaded single_threaded;
  // For g = e^{2u}δ, Γ^k_ii = (2 − n)∂_k u, so W^k = g^ij Γ^k_ij = 0 on surfaces: the flat-background DeTurck
  // diffeomorphism is the identity and the two solvers must agree point by point.
  const PeriodicGrid grid{2, 32};
  const at::Tensor u0 = grid_u(grid, kSmoothModes);
  ConformalSurfaceFlow conformal(grid, u0);
  RicciDeTurckFlow deturck(grid, conformal_metric_on_grid(u0));
  const at::Tensor probes = 2 * M_PI * at::rand({32, 2}, at::kDouble);
  CHECK_CLOSE(deturck.observe(probes).g, conformal.observe(probes).g, 1e-12);
  CHECK_CLOSE(deturck.observe(probes).scalar, conformal.observe(probes).scalar, 1e-10);
  conformal.step(0.1);
  deturck.step(0.1);
  // Agreement to the spatial truncation error (~1e-10 in g; R, two derivatives and e^{2u}'s wider spectrum, ~1e-6).
  CHECK_CLOSE(deturck.metric(), conformal_metric_on_grid(conformal.u()), 1e-9);
  CHECK_CLOSE(deturck.observe(probes).scalar, conformal.observe(probes).scalar, 1e-5);
  CHECK(test::max_relative_error(conformal_metric_on_grid(conformal.u()), conformal_metric_on_grid(u0)) > 0.1);
}

TEST_CASE("Ricci-DeTurck from a pulled-back φ*(e^{2u}|dx|²) matches the conformal flow in diffeomorphism invariants",
          "[flows]") {
  const SingleThreaded single_threaded;
  // φ(x, y) = (x + 0.3 sin y, y + 0.2 sin x) is a diffeomorphism of T² (det dφ = 1 − 0.06 cos x cos y > 0), so
  // g₀ = φ*(e^{2u}δ) is not conformally flat in these coordinates; Ricci–DeTurck moves it by a nontrivial gauge,
  // and area, ∫R dA, ∫R² dA, ∫R³ dA and max R must still equal those of the conformal-gauge solution from u.
  for (const auto& [modes, tol] : {std::make_pair(kSmoothModes, 1e-9), std::make_pair(kSurfaceModes, 1e-5)}) {
    const PeriodicGrid grid{2, 32};
    const at::Tensor p = grid.points();
    const at::Tensor px = p.select(1, 0), py = p.select(1, 1);
    const at::Tensor phi = at::stack({px + 0.3 * at::sin(py), py + 0.2 * at::sin(px)}, 1);
    const at::Tensor jac = at::stack({at::stack({at::ones_like(px), 0.3 * at::cos(py)}, 1),
                                      at::stack({0.2 * at::cos(px), at::ones_like(px)}, 1)}, 1);  // [M, c, a] = ∂_a φ^c
    const at::Tensor conformal_factor = at::exp(2.0 * fourier_potential(modes, phi)).view({-1, 1, 1});
    const at::Tensor g0 = conformal_factor * at::einsum("zca,zcb->zab", {jac, jac});
    ConformalSurfaceFlow conformal(grid, grid_u(grid, modes));
    RicciDeTurckFlow deturck(grid, g0);
    const double cell = grid.spacing() * grid.spacing();
    const auto initial = surface_invariants(conformal.scalar_curvature(), conformal.area_density(), cell);
    const auto initial_b = surface_invariants(deturck.scalar_curvature(), deturck.volume_density(), cell);
    CHECK(rel(initial[2], initial_b[2]) < tol);
    for (double t : {0.05, 0.15}) {
      conformal.step(t - conformal.time());
      deturck.step(t - deturck.time());
      const auto a = surface_invariants(conformal.scalar_curvature(), conformal.area_density(), cell);
      const auto b = surface_invariants(deturck.scalar_curvature(), deturck.volume_density(), cell);
      const double max_a = conformal.scalar_curvature().max().item<double>();
      const double max_b = deturck.scalar_curvature().max().item<double>();
      INFO("t = " << t << ": area " << a[0] << " / " << b[0] << ", ∫R dA " << a[1] << " / " << b[1] << ", ∫R²dA "
                  << a[2] << " / " << b[2] << " (rel " << rel(a[2], b[2]) << "; t=0: " << initial[2] << "), ∫R³dA "
                  << a[3] << " / " << b[3] << ", max R " << max_a << " / " << max_b);
      CHECK(rel(a[0], b[0]) < tol);
      CHECK(std::abs(b[1]) < tol * a[0]);
      CHECK(rel(a[2], b[2]) < tol);
      CHECK(std::abs(a[3] - b[3]) < tol * std::abs(initial[3]));
      CHECK(std::abs(max_a - max_b) < 5e-2 * max_a);  // maxima over different grid samples: a few % only
      CHECK(a[2] < 0.8 * initial[2]);  // the invariants really moved: the comparison is not trivial
    }
  }
}

TEST_CASE("Ricci-DeTurck: RK4 converges at order 4 in dt, spectrally in h", "[flows]") {
  const SingleThreaded single_threaded;
  const double t_end = 0.04;
  auto solve = [&](int64_t big_n, double substep) {
    const PeriodicGrid grid{2, big_n};
    // A non-conformal start: g = e^{2u} I + 0.1 sin(x + y) (dx dy + dy dx).
    const at::Tensor p = grid.points();
    at::Tensor g0 = conformal_metric_on_grid(grid_u(grid, kSmoothModes));
    const at::Tensor off = 0.1 * at::sin(p.select(1, 0) + p.select(1, 1));
    g0.select(1, 0).select(1, 1).add_(off);
    g0.select(1, 1).select(1, 0).add_(off);
    RicciDeTurckFlow flow(grid, g0, {1.0, substep});
    flow.step(t_end);
    const at::Tensor probes = at::tensor({0.3, 1.1, 2.0, 4.5, 5.5, 0.7, 3.3, 3.3}, at::kDouble).view({4, 2});
    return flow.observe(probes).g;
  };
  const ConvergenceMeasurement m = measure_convergence(solve, 1.6e-3, 1e-4, 40);
  check_rk4_order_and_report_space_errors(m);
  const auto& e_h = m.space_errors;
  CHECK(e_h[3] < 1e-6);
  CHECK(m.order_h > 8.0);
}

TEST_CASE("Ricci-DeTurck on T^3 = (T², e^{2u}|dx|²) x S¹ keeps the product and matches the surface flow", "[flows]") {
  const SingleThreaded single_threaded;
  const PeriodicGrid grid2{2, 16}, grid3{3, 16};
  const std::vector<FourierMode> modes = {{1, 0, 0.3, 0.0}, {1, 1, 0.0, 0.2}};
  ConformalSurfaceFlow surface(grid2, grid_u(grid2, modes));
  const at::Tensor u3 = fourier_potential(modes, grid3.points().narrow(1, 0, 2));
  at::Tensor g0 = at::zeros({grid3.num_points(), 3, 3}, at::kDouble);
  g0.select(1, 0).select(1, 0).copy_(at::exp(2 * u3));
  g0.select(1, 1).select(1, 1).copy_(at::exp(2 * u3));
  g0.select(1, 2).select(1, 2).fill_(2.0);
  RicciDeTurckFlow product(grid3, g0);
  surface.step(0.05);
  product.step(0.05);
  // The S¹ factor is flat and stays: g_33 = 2, g_a3 = 0; the invariants equal the surface's times the S¹ length.
  CHECK((product.metric().select(2, 2).select(1, 2) - 2.0).abs().max().item<double>() < 1e-12);
  CHECK(product.metric().select(2, 2).narrow(1, 0, 2).abs().max().item<double>() < 1e-12);
  const double circle = 2 * M_PI * std::sqrt(2.0);
  const auto a = surface_invariants(surface.scalar_curvature(), surface.area_density(),
                                    grid2.spacing() * grid2.spacing());
  const auto b = surface_invariants(product.scalar_curvature(), product.volume_density(),
                                    std::pow(grid3.spacing(), 3));
  CHECK(rel(a[0] * circle, b[0]) < 1e-10);
  CHECK(rel(a[2] * circle, b[2]) < 1e-7);
}
