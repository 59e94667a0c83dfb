#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "flows/flow_comparison.h"
#include "experiments/local_ricci_check.h"
#include "experiments/local_ricci_t2.h"
#include "training/perelman.h"
#include "support/tolerance.h"

using nmflow::FrequencyDistribution;
using nmflow::LocalRicciOptions;
using nmflow::LocalRicciResult;

TEST_CASE("relative metric deviation is the invariant RMS of g_ref⁻¹g − I", "[flows]") {
  const at::Tensor e = at::tensor({1.0, 0.4, 0.0, 0.2, 1.1, 0.3, 0.0, -0.5, 0.9}, at::kDouble).view({1, 3, 3});
  const at::Tensor lambda = at::diag(at::tensor({1.0, 2.0, 0.5}, at::kDouble)).unsqueeze(0);
  const at::Tensor g_ref = at::matmul(e.transpose(1, 2), at::matmul(lambda, e));
  // Frame components scaled by (1.1, 1, 0.7): deviation √((0.1² + 0 + 0.3²)/3) whatever E and λ are.
  const at::Tensor g = at::matmul(
      e.transpose(1, 2), at::matmul(at::diag(at::tensor({1.1, 2.0, 0.35}, at::kDouble)).unsqueeze(0), e));
  CHECK(nmflow::relative_metric_deviation(g, g_ref) == Approx(std::sqrt((0.01 + 0.09) / 3.0)).epsilon(1e-12));
  CHECK(nmflow::relative_metric_deviation(2.0 * g_ref, g_ref) == Approx(1.0).epsilon(1e-12));
}

TEST_CASE("the local weight Ω of the Gaussian embedding kernel is 2π² e^{−κ} I₁(κ)/κ, κ = σ²/4", "[flows]") {
  for (const double sigma : {0.5, 2.0, 4.0, 8.0}) {
    const double kappa = sigma * sigma / 4.0;
    const double expected = 2.0 * M_PI * M_PI * std::exp(-kappa) * std::cyl_bessel_i(1.0, kappa) / kappa;
    CHECK(nmflow::local_kernel_omega(FrequencyDistribution::Gaussian, sigma) == Approx(expected).epsilon(1e-10));
  }
  // Large bandwidth: the flat-space limit ½ (8π/σ²)^{3/2}, with O(1/σ²) curvature corrections.
  const double sigma = 40.0;
  CHECK(nmflow::local_kernel_omega(FrequencyDistribution::Gaussian, sigma) ==
        Approx(0.5 * std::pow(8.0 * M_PI / (sigma * sigma), 1.5)).epsilon(3.0 / (sigma * sigma)));
}

namespace {

// Small tensors: run with one thread (the pool's spin-waits dominate otherwise), restoring the count afterwards.
struct OneThread {
  int saved = at::get_num_threads();
  OneThread() { at::set_num_threads(1); }
  ~OneThread() { at::set_num_threads(saved); }
};

LocalRicciOptions quick_options(double b0, nmflow::MetricHeadKind head, int64_t features) {
  LocalRicciOptions o;
  o.b0 = b0;
  o.head = head;
  o.features = features;
  o.bandwidth = 2.0;
  o.points = 256;
  o.learning_rate = 4e-3;
  o.final_time = 0.04;
  o.probes = 8;
  o.observations = 2;
  o.seed = 0;
  return o;
}

}  // namespace

TEST_CASE("NN flow of the frame-output local model approaches Ricci flow on round and Berger S³ as width grows",
          "[flows]") {
  OneThread one_thread;
  for (const double b0 : {1.0, 0.5}) {
    const LocalRicciResult narrow =
        nmflow::run_local_ricci_case(quick_options(b0, nmflow::MetricHeadKind::FrameExponential, 64));
    const LocalRicciResult wide =
        nmflow::run_local_ricci_case(quick_options(b0, nmflow::MetricHeadKind::FrameExponential, 1024));
    std::printf("B0 = %.1f: deviation %.3e (N = 64) -> %.3e (N = 1024); drift %.3f, non-local %.3f\n", b0,
                narrow.max_deviation, wide.max_deviation, wide.ntk_drift, wide.nonlocal_mass);
    CHECK(wide.max_deviation < 0.02);
    CHECK(wide.max_deviation < 0.6 * narrow.max_deviation);
    // The K = g g kernel follows g: Θ ∝ g g shrinks with the metric, drift ≈ 1 − (g(T)/g(0))² ≈ 0.3 on the round
    // sphere at T = 0.04 (g(T) = 0.84 g(0)).
    CHECK(wide.ntk_drift == Approx(1.0 - 0.84 * 0.84).margin(0.1));
  }
}

TEST_CASE("the flat component kernel does not reproduce Ricci flow on the Berger sphere", "[flows]") {
  OneThread one_thread;
  const LocalRicciResult frame =
      nmflow::run_local_ricci_case(quick_options(0.5, nmflow::MetricHeadKind::FrameExponential, 1024));
  const LocalRicciResult flat =
      nmflow::run_local_ricci_case(quick_options(0.5, nmflow::MetricHeadKind::Symmetric, 1024));
  std::printf("Berger: frame_exp deviation %.3e, flat component kernel %.3e\n", frame.max_deviation,
              flat.max_deviation);
  CHECK(flat.max_deviation > 0.1);
  CHECK(flat.max_deviation > 10.0 * frame.max_deviation);
}

// ---------------------------------------------------------------------------------------------------------------
// Case (c): the conformal metric e^{2u₀}δ on T² (local_ricci_t2.h, docs/local_ricci.md §5).

namespace {

// u = 0.3 cos x + 0.2 sin(x + y) and its flat derivatives at x [B, 2].
struct TestPotential {
  at::Tensor value, grad, hess;  // [B], [B, 2], [B, 2, 2]
};
TestPotential test_potential(const at::Tensor& x, double a = 0.3, double b = 0.2) {
  const at::Tensor p = x.select(1, 0);
  const at::Tensor q = x.select(1, 0) + x.select(1, 1);
  const at::Tensor value = a * at::cos(p) + b * at::sin(q);
  const at::Tensor gx = -a * at::sin(p) + b * at::cos(q);
  const at::Tensor gy = b * at::cos(q);
  const at::Tensor hxx = -a * at::cos(p) - b * at::sin(q);
  const at::Tensor hxy = -b * at::sin(q);
  return {value, at::stack({gx, gy}, 1), at::stack({at::stack({hxx, hxy}, 1), at::stack({hxy, hxy}, 1)}, 1)};
}

// The 2-jet of g = e^{2u}δ by central finite differences of g (step h): MetricJet layout.
nmflow::MetricJet finite_difference_conformal_jet(const at::Tensor& x, double h) {
  const auto metric = [](const at::Tensor& y) {
    return at::exp(2.0 * test_potential(y).value).view({-1, 1, 1}) * at::eye(2, at::kDouble);
  };
  const auto shift = [&](int c, double s) {
    at::Tensor y = x.clone();
    y.select(1, c).add_(s);
    return y;
  };
  std::vector<at::Tensor> first;
  std::vector<at::Tensor> second;
  for (int c = 0; c < 2; ++c) {
    first.push_back((metric(shift(c, h)) - metric(shift(c, -h))) / (2.0 * h));
    std::vector<at::Tensor> row;
    for (int d = 0; d < 2; ++d) {
      if (c == d) {
        row.push_back((metric(shift(c, h)) - 2.0 * metric(x) + metric(shift(c, -h))) / (h * h));
      } else {
        const auto both = [&](double s, double t) {
          at::Tensor y = x.clone();
          y.select(1, c).add_(s);
          y.select(1, d).add_(t);
          return metric(y);
        };
        row.push_back((both(h, h) - both(h, -h) - both(-h, h) + both(-h, -h)) / (4.0 * h * h));
      }
    }
    second.push_back(at::stack(row, 1));
  }
  return nmflow::MetricJet{metric(x), at::stack(first, 1), at::stack(second, 1)};
}

LocalRicciOptions t2_quick_options(double bandwidth, nmflow::MetricHeadKind head) {
  // As the T² cases of configs/checks/local_ricci_quick.yaml (`nmflow check local-ricci --quick`).
  LocalRicciOptions o;
  o.manifold = nmflow::LocalRicciManifold::ConformalT2;
  o.head = head;
  o.bandwidth = bandwidth;
  const int64_t centres = 2 * static_cast<int64_t>(std::ceil(M_PI * bandwidth / 1.2));
  o.features = centres * centres;
  o.grid = std::max<int64_t>(32, static_cast<int64_t>(std::ceil(8.0 * bandwidth)));
  o.probe_grid = 32;
  o.reference_grid = 64;
  o.probes = 16;
  o.final_time = 0.05;
  o.learning_rate = 2.5e-3 / std::ceil(bandwidth * bandwidth / 32.0);
  o.observations = 2;
  return o;
}

}  // namespace

TEST_CASE("T² bump model: frozen kernel is (ε²/4π)Π_c ϑ(Δ_c) with weight Ω = ε⁴, metric-NTK is Θ_S · K", "[flows]") {
  const double bandwidth = 3.0;
  const double eps = 1.0 / bandwidth;
  const int64_t centres = 24;
  const at::Tensor x = 2.0 * M_PI * at::rand({6, 2}, at::kDouble);
  const at::Tensor y = 2.0 * M_PI * at::rand({5, 2}, at::kDouble);
  const at::Tensor empirical = at::matmul(nmflow::torus_bump_features(centres, bandwidth, x),
                                          nmflow::torus_bump_features(centres, bandwidth, y).t());  // [6, 5]
  const at::Tensor closed = nmflow::torus_bump_kernel(bandwidth, x.unsqueeze(1) - y.unsqueeze(0));
  // The centre grid aliases the kernel by ≈ 2e^{−π²ε²/h²} = 2e^{−16} ≈ 2e−7 relative here (h = 2π/24).
  CHECK(at::allclose(empirical, closed, 0.0, 1e-6 * closed.max().item<double>()));
  CHECK(!at::allclose(empirical, 1.01 * closed, 0.0, 1e-6 * closed.max().item<double>()));
  // The diagonal value ε²/(4π)·(1 + …) is not the weight: Ω = ∫ d²x' Θ_S = ε⁴ (grid quadrature, spectrally exact).
  const int64_t m = 64;
  const at::Tensor axis = at::arange(m, at::kDouble) * (2.0 * M_PI / m);
  const std::vector<at::Tensor> mesh = at::meshgrid({axis, axis}, "ij");
  const at::Tensor grid = at::stack({mesh[0].reshape(-1), mesh[1].reshape(-1)}, 1);
  const at::Tensor omega =
      nmflow::torus_bump_kernel(bandwidth, x.unsqueeze(1) - grid.unsqueeze(0)).sum(1) * std::pow(2.0 * M_PI / m, 2);
  CHECK(at::allclose(omega, at::full_like(omega, std::pow(eps, 4)), 1e-10, 0.0));

  // Metric-NTK blocks (packed 00, 01, 11) of the frame_exp model at S = 0: e^{2u₀(x)+2u₀(x')} Θ_S diag(1, ½, 1)
  // = Θ_S ½(g_ik g_jl + g_il g_jk); of the conformal head: 4 e^{2u₀(x)+2u₀(x')} Θ_S (δ_ij δ_kl).
  LocalRicciOptions o = t2_quick_options(bandwidth, nmflow::MetricHeadKind::FrameExponential);
  o.features = centres * centres;
  const at::Tensor conformal_factor = at::exp(2.0 * test_potential(x).value);  // [6]
  const at::Tensor theta_s = at::matmul(nmflow::torus_bump_features(centres, bandwidth, x),
                                        nmflow::torus_bump_features(centres, bandwidth, x).t());
  const at::Tensor scale = theta_s * conformal_factor.unsqueeze(1) * conformal_factor.unsqueeze(0);  // [6, 6]
  const at::Tensor frame_k = at::diag(at::tensor({1.0, 0.5, 1.0}, at::kDouble));
  const at::Tensor expected_frame = (scale.view({6, 1, 6, 1}) * frame_k.view({1, 3, 1, 3})).reshape({18, 18});
  const at::Tensor frame_ntk = nmflow::conformal_t2_initial_ntk(o, x);
  CHECK(at::allclose(frame_ntk, expected_frame, 1e-12, 1e-12 * expected_frame.abs().max().item<double>()));
  o.head = nmflow::MetricHeadKind::Conformal;
  const at::Tensor conf_k = 4.0 * at::tensor({1.0, 0.0, 1.0}, at::kDouble).outer(at::tensor({1.0, 0.0, 1.0},
                                                                                             at::kDouble));
  const at::Tensor expected_conf = (scale.view({6, 1, 6, 1}) * conf_k.view({1, 3, 1, 3})).reshape({18, 18});
  CHECK(at::allclose(nmflow::conformal_t2_initial_ntk(o, x), expected_conf, 1e-12,
                     1e-12 * expected_conf.abs().max().item<double>()));
}

TEST_CASE("slaved-dilaton Perelman velocity on e^{2u}δ: closed form and conformal projection ½e^{−2u}Δℓ match "
          "finite differences", "[flows]") {
  const at::Tensor x = 2.0 * M_PI * at::rand({12, 2}, at::kDouble);
  const TestPotential u = test_potential(x);
  const nmflow::MetricJet fd = finite_difference_conformal_jet(x, 1e-3);
  // A non-flat measure e^{ℓ}d²x, ℓ = 0.25 cos y, so that the projection is not trivially zero; then the flat one.
  const at::Tensor cy = at::cos(x.select(1, 1));
  const at::Tensor sy = at::sin(x.select(1, 1));
  const at::Tensor zero = at::zeros_like(cy);
  nmflow::ScalarJet2 ell{0.25 * cy, at::stack({zero, -0.25 * sy}, 1),
                         at::stack({at::stack({zero, zero}, 1), at::stack({zero, -0.25 * cy}, 1)}, 1)};
  for (const double amplitude : {1.0, 0.0}) {
    const nmflow::ScalarJet2 l{amplitude * ell.value, amplitude * ell.grad, amplitude * ell.hess};
    const at::Tensor reference =
        nmflow::perelman_velocity(fd, nmflow::slaved_dilaton(fd, l), nmflow::CurvatureBackend::Reference);
    const at::Tensor closed = nmflow::conformal_slaved_perelman_velocity(u.grad, u.hess, l.grad, l.hess);
    const double scale = closed.abs().max().item<double>();
    CHECK(scale > 0.5);
    CHECK(at::allclose(closed, reference, 0.0, 1e-5 * scale));
    // ∂_t u = ¼ g^{ij} V_ij of the finite-difference velocity vs the derived u-equation.
    const at::Tensor projected = 0.25 * at::exp(-2.0 * u.value) * reference.diagonal(0, 1, 2).sum(1);
    const at::Tensor derived =
        nmflow::conformal_slaved_u_rate(u.value, l.hess.diagonal(0, 1, 2).sum(1));
    CHECK(at::allclose(projected, derived, 0.0, 1e-5 * scale));
    if (amplitude > 0.0) {
      CHECK(derived.abs().max().item<double>() > 0.05);  // the check above is not 0 ≈ 0
    } else {
      CHECK(projected.abs().max().item<double>() < 1e-5 * scale);  // flat μ: the conformal factor is frozen
    }
  }
}

TEST_CASE("weighted Wasserstein-2 distance is the shift between shifted samples and ignores the order", "[flows]") {
  const at::Tensor v = at::randn({300}, at::kDouble);
  const at::Tensor w = 0.5 + at::rand({300}, at::kDouble);
  CHECK(nmflow::weighted_wasserstein2(v, w, v + 0.125, w) == Approx(0.125).epsilon(1e-12));
  const at::Tensor perm = at::randperm(300, at::kLong);
  CHECK(nmflow::weighted_wasserstein2(v, w, v.index_select(0, perm), w.index_select(0, perm)) ==
        Approx(0.0).margin(1e-14));
}

TEST_CASE("T² quick ladder: the frame-output NN flow approaches Ricci flow in R's distribution as the bandwidth "
          "grows; the conformal head stays static", "[flows]") {
  OneThread one_thread;
  std::vector<LocalRicciResult> ladder;
  for (const double bandwidth : {2.0, 4.0, 8.0}) {
    ladder.push_back(
        nmflow::run_local_ricci_case(t2_quick_options(bandwidth, nmflow::MetricHeadKind::FrameExponential)));
    std::printf("T2 bandwidth %.0f: deviation %.3e, dv(0) %.3e, Ricci change %.3e, non-local %.3f\n", bandwidth,
                ladder.back().max_deviation, ladder.back().velocity_deviation, ladder.back().reference_change,
                ladder.back().nonlocal_mass);
  }
  for (size_t k = 1; k < ladder.size(); ++k) {
    CHECK(ladder[k].max_deviation < 0.6 * ladder[k - 1].max_deviation);
    CHECK(ladder[k].velocity_deviation < 0.5 * ladder[k - 1].velocity_deviation);
    CHECK(ladder[k].nonlocal_mass < ladder[k - 1].nonlocal_mass);
  }
  // The kernel's filter e^{−|k|²/Λ²} errs by O(Λ^{−2}): the t = 0 velocity error falls by ≈ 4 from Λ = 4 to 8.
  CHECK(ladder[2].velocity_deviation < 0.35 * ladder[1].velocity_deviation);
  CHECK(ladder[2].max_deviation < 0.03);
  CHECK(ladder[2].reference_change > 0.2);  // Ricci flow does move the distribution of R

  const LocalRicciResult control =
      nmflow::run_local_ricci_case(t2_quick_options(4.0, nmflow::MetricHeadKind::Conformal));
  std::printf("T2 conformal head: %.3e from du/dt = 0, %.3e from Ricci flow\n", control.derived_deviation,
              control.max_deviation);
  CHECK(control.derived_deviation < 1e-6);
  CHECK(control.velocity_deviation < 1e-6);
  // Static, so its distance from Ricci flow is Ricci flow's own change.
  CHECK(control.max_deviation == Approx(control.reference_change).epsilon(1e-6));
}
