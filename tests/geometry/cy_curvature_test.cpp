#include <ATen/ATen.h>
#include <catch2/catch.hpp>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>

#include <cmath>
#include <vector>

#include "geometry/kahler/cy_curvature.h"
#include "geometry/kahler/cy_measures.h"
#include "geometry/kahler/fubini_study.h"
#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/kahler_curvature.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "models/kahler_phi_model.h"
#include "support/tolerance.h"

using nmflow::CYPointSet;
using nmflow::Hypersurface;
using nmflow::KahlerPhiModel;

namespace {

// A random, non-zero φ (output layer kept) small enough that g = g_FS + ∂∂̄φ stays positive.
KahlerPhiModel random_model(int64_t n_coords, uint64_t seed) {
  nmflow::KahlerPhiModelConfig config;
  config.hidden = {16, 16};
  config.zero_output_layer = false;
  config.sigma_w = 0.5;
  config.seed = seed;
  return KahlerPhiModel(config, n_coords);
}

// The hyperplane z_0 + 2 z_1 + (−1 + 0.5i) z_2 + 0.7 z_3 = 0 in P^3: a linear CP^2, so its induced metric is the
// Fubini–Study metric of CP^2 (Ric = 3π g, R_K = 6π, χ = 3) in every chart.
Hypersurface hyperplane_p3() {
  const at::Tensor exponents = at::eye(4, at::kLong);
  const at::Tensor coefficients = at::tensor(std::vector<c10::complex<double>>{{1, 0}, {2, 0}, {-1, 0.5}, {0.7, 0}},
                                             at::TensorOptions().dtype(at::kComplexDouble));
  return Hypersurface(exponents, coefficients, "hyperplane");
}

// The pullback in the base chart at moved points z (not necessarily the chart make_cy_point_set would pick),
// from Hypersurface::gradient: P_a^I = δ at I_a, −∂_{I_a}p/∂_e p at e. Returns [B, m, N+1] complex128.
at::Tensor base_chart_pullback(const Hypersurface& surface, const CYPointSet& base, const at::Tensor& z) {
  const int64_t n = surface.n_coords();
  const at::Tensor dp = surface.gradient(z);
  const at::Tensor dp_e = dp.gather(1, base.eliminated.view({-1, 1}));
  const at::Tensor kept = at::zeros({z.size(0), surface.dim(), n}, z.options())
                              .scatter_(2, base.local_indices.unsqueeze(2), 1.0);
  const at::Tensor elim = at::zeros({z.size(0), n}, z.options()).scatter_(1, base.eliminated.view({-1, 1}), 1.0);
  return kept - (dp.gather(1, base.local_indices) / dp_e).unsqueeze(2) * elim.unsqueeze(1);
}

// K(u) = (1/π) log|z(u)|² + φ(z(u)) in the real local coordinates of each base point (the potential route).
nmflow::RealScalarFn local_potential(const Hypersurface& surface, const CYPointSet& base, const KahlerPhiModel* model) {
  return [&surface, base, model](const at::Tensor& u) {
    const at::Tensor z = nmflow::cy_local_embedding(surface, base, u);
    at::Tensor k = at::log(at::real(z * z.conj()).sum(1)) / M_PI;
    if (model != nullptr) k = k + model->phi(z, base.patch);
    return k;
  };
}

at::Tensor as_real(const at::Tensor& complex) { return at::view_as_real(complex.contiguous()); }

}  // namespace

TEST_CASE("Newton embedding z(x): first derivatives are the pullback P, second derivatives match finite differences",
          "[geometry]") {
  for (const auto& surface : {nmflow::fermat_quintic(), nmflow::dwork_quartic({0.3, 0.2})}) {
    const CYPointSet points = nmflow::sample_cy_points(surface, 12, 5);
    const int64_t m = surface.dim();
    const int64_t n = surface.n_coords();
    const at::Tensor u = at::zeros({points.size(), 2 * m}, at::kDouble).requires_grad_(true);
    const at::Tensor z = nmflow::cy_local_embedding(surface, points, u);
    // ∂z_I/∂u_a = P_a^I and ∂z_I/∂u_{m+a} = i P_a^I (z holomorphic in x = u_re + i u_im).
    std::vector<at::Tensor> d_re, d_im;
    for (int64_t i = 0; i < n; ++i) {
      d_re.push_back(torch::autograd::grad({at::real(z.select(1, i)).sum()}, {u}, {}, true, true)[0]);
      d_im.push_back(torch::autograd::grad({at::imag(z.select(1, i)).sum()}, {u}, {}, true, true)[0]);
    }
    const at::Tensor jac_re = at::stack(d_re, 2), jac_im = at::stack(d_im, 2);  // [B, 2m, N+1]
    const at::Tensor dz = at::complex(jac_re.narrow(1, 0, m), jac_im.narrow(1, 0, m));       // ∂/∂u_re
    const at::Tensor dz_y = at::complex(jac_re.narrow(1, m, m), jac_im.narrow(1, m, m));     // ∂/∂u_im
    CHECK_CLOSE(as_real(dz), as_real(points.pullback), 1e-12);
    CHECK_CLOSE(as_real(dz_y), as_real(points.pullback * c10::complex<double>(0, 1)), 1e-12);

    // ∂_b P_a^e by autograd (holomorphic: derivative along Re x_b) vs central differences of the pullback computed
    // by Hypersurface::gradient at the exactly solved moved points.
    const at::Tensor elim = points.eliminated.view({-1, 1, 1}).expand({points.size(), m, 1});
    const at::Tensor pe = dz.gather(2, elim).squeeze(2);  // [B, m] ∂z_e/∂x_a
    for (int64_t b = 0; b < m; ++b) {
      std::vector<at::Tensor> second;
      for (int64_t a = 0; a < m; ++a) {
        const at::Tensor ga = torch::autograd::grad({at::real(pe.select(1, a)).sum()}, {u}, {}, true, false)[0];
        const at::Tensor gb = torch::autograd::grad({at::imag(pe.select(1, a)).sum()}, {u}, {}, true, false)[0];
        second.push_back(at::complex(ga.select(1, b), gb.select(1, b)));
      }
      const at::Tensor exact = at::stack(second, 1);  // [B, m]: ∂_b ∂_a z_e
      const auto central = [&](double h) {
        at::Tensor step = at::zeros({points.size(), 2 * m}, at::kDouble);
        step.select(1, b).fill_(h);
        const at::Tensor zp = nmflow::cy_local_embedding(surface, points, step).detach();
        const at::Tensor zm = nmflow::cy_local_embedding(surface, points, -step).detach();
        // The moved points lie on X to rounding (3 Newton steps from an exact root are exact to order 7).
        CHECK(surface.relative_residual(zp).max().item<double>() < 1e-14);
        const at::Tensor pp = base_chart_pullback(surface, points, zp).gather(2, elim).squeeze(2);
        const at::Tensor pm = base_chart_pullback(surface, points, zm).gather(2, elim).squeeze(2);
        return (pp - pm) / (2 * h);
      };
      // Richardson: (4 D(h) − D(2h))/3 cancels the O(h²) term of the central difference.
      const double h = 1e-3;
      CHECK_CLOSE(as_real(exact), as_real((4.0 * central(h) - central(2 * h)) / 3.0), 1e-6);
    }
  }
}

TEST_CASE("Metric rebuilt at dx = 0 equals g_FS + ddbar phi, and the potential route gives the same metric",
          "[geometry]") {
  const Hypersurface surface = nmflow::fermat_quintic();
  const CYPointSet points = nmflow::sample_cy_points(surface, 10, 21);
  const KahlerPhiModel model = random_model(surface.n_coords(), 3);
  const at::Tensor ddbar = model.ddbar_phi(nmflow::phi_input_jet(model.config().inputs, points, at::kDouble),
                                           nmflow::PhiJetMethod::WirtingerJet);
  const auto curv = nmflow::cy_pointwise_curvature(surface, points, nmflow::phi_model_potential(model));
  CHECK_CLOSE(as_real(curv.metric), as_real(points.g_fs + ddbar), 1e-12);
  // g_ab̄ = ∂_a∂_b̄ K(x) with K = K_FS + φ along the Newton embedding (independent of P).
  const at::Tensor u = at::zeros({points.size(), 2 * surface.dim()}, at::kDouble);
  const at::Tensor g_potential = nmflow::complex_hessian(local_potential(surface, points, &model), u);
  CHECK_CLOSE(as_real(g_potential), as_real(points.g_fs + ddbar), 1e-12);
  CHECK((ddbar.abs().max() > 1e-2 * points.g_fs.abs().max()).item<bool>());  // φ really contributes
}

TEST_CASE("Ricci and scalar curvature equal kahler_curvature_from_potential (nested autograd of K along z(x))",
          "[geometry]") {
  const KahlerPhiModel quintic_model = random_model(5, 3);
  struct Case {
    Hypersurface surface;
    const KahlerPhiModel* model;
  };
  for (const Case& c : {Case{nmflow::fermat_quintic(), &quintic_model}, Case{nmflow::fermat_quintic(), nullptr},
                        Case{nmflow::dwork_quartic({0.3, 0.2}), nullptr}, Case{nmflow::fermat_cubic(), nullptr}}) {
    const CYPointSet points = nmflow::sample_cy_points(c.surface, 6, 31);
    const auto curv = nmflow::cy_pointwise_curvature(
        c.surface, points, c.model != nullptr ? nmflow::phi_model_potential(*c.model) : nmflow::KahlerPotential{});
    const at::Tensor u = at::zeros({points.size(), 2 * c.surface.dim()}, at::kDouble);
    const auto reference = nmflow::kahler_curvature_from_potential(local_potential(c.surface, points, c.model), u);
    CHECK_CLOSE(as_real(curv.metric), as_real(reference.metric), 1e-12);
    CHECK_CLOSE(as_real(curv.ricci), as_real(reference.ricci), 1e-10);
    CHECK_CLOSE(curv.ricci_scalar, reference.scalar, 1e-10);
    // Ric_cd̄ = g^{bā} R_ab̄cd̄ from the full tensor, and the Kähler symmetry R_ab̄cd̄ = R_cb̄ad̄.
    const at::Tensor inv = at::linalg_inv(curv.metric);
    CHECK_CLOSE(as_real(at::einsum("zba,zabcd->zcd", {inv, curv.riemann})), as_real(curv.ricci), 1e-10);
    CHECK_CLOSE(as_real(curv.riemann), as_real(curv.riemann.permute({0, 3, 2, 1, 4})), 1e-10);
  }
}

TEST_CASE("Linear CP^2 in P^3: R = pi (g g + g g), Ric = 3 pi g, R_K = 6 pi and chi = 3 at every point",
          "[geometry]") {
  const Hypersurface plane = hyperplane_p3();
  const CYPointSet points = nmflow::sample_cy_points(plane, 40, 41);
  const auto measures = [&] {
    const c10::AutoGradMode no_grad(false);  // callers may evaluate under a no-grad guard
    return nmflow::cy_curvature_measures(plane, points, {});
  }();
  const auto curv = nmflow::cy_pointwise_curvature(plane, points, {});
  const at::Tensor g = curv.metric;
  const at::Tensor expected = M_PI * (at::einsum("zab,zcd->zabcd", {g, g}) + at::einsum("zad,zcb->zabcd", {g, g}));
  CHECK_CLOSE(as_real(curv.riemann), as_real(expected), 1e-10);
  CHECK_CLOSE(as_real(curv.ricci), as_real(3 * M_PI * g), 1e-10);
  CHECK_CLOSE(measures.ricci_scalar, at::full({points.size()}, 6 * M_PI, at::kDouble), 1e-10);
  // c_2 = 3 · (J²/2!)/Vol(CP²) pointwise, Vol = 1/2: density 6, and χ = 3 with no Monte-Carlo error.
  CHECK_CLOSE(measures.euler_density, at::full({points.size()}, 6.0, at::kDouble), 1e-10);
  CHECK(std::abs(measures.euler_characteristic - 3.0) < 1e-10);
  CHECK(measures.euler_standard_error < 1e-10);
}

TEST_CASE("Kahler scalar curvature of FS on the quintic matches finite differences of log det g", "[geometry]") {
  const Hypersurface surface = nmflow::fermat_quintic();
  const CYPointSet points = nmflow::sample_cy_points(surface, 4, 51);
  const int64_t m = surface.dim();
  const auto curv = nmflow::cy_pointwise_curvature(surface, points, {});
  // log det (P G_FS P†) at moved points, P and G from Hypersurface::gradient and fubini_study_ambient.
  const auto log_det = [&](const at::Tensor& u) {
    const at::Tensor z = nmflow::cy_local_embedding(surface, points, u).detach();
    const at::Tensor p = base_chart_pullback(surface, points, z);
    const at::Tensor g = at::matmul(at::matmul(p, nmflow::fubini_study_ambient(z)), p.conj().transpose(1, 2));
    return at::log(at::real(at::linalg_det(g)));
  };
  const auto central = [&](int64_t i, int64_t j, double h) {  // central difference of ∂_i∂_j, real coordinates
    at::Tensor ei = at::zeros({points.size(), 2 * m}, at::kDouble), ej = at::zeros_like(ei);
    ei.select(1, i).fill_(h);
    ej.select(1, j).fill_(h);
    return (log_det(ei + ej) - log_det(ei - ej) - log_det(ej - ei) + log_det(-ei - ej)) / (4 * h * h);
  };
  // Richardson extrapolation of the O(h²) error, h = 2e-3 (rounding ~ 1e-16/h² stays below 1e-10).
  const auto second = [&](int64_t i, int64_t j) { return (4.0 * central(i, j, 2e-3) - central(i, j, 4e-3)) / 3.0; };
  at::Tensor ricci = at::zeros({points.size(), m, m}, at::kComplexDouble);
  for (int64_t c = 0; c < m; ++c) {
    for (int64_t d = 0; d < m; ++d) {
      // −∂_c∂_d̄ = −¼(∂x∂x + ∂y∂y + i(∂x_c∂y_d − ∂y_c∂x_d))
      const at::Tensor re = second(c, d) + second(m + c, m + d);
      const at::Tensor im = second(c, m + d) - second(m + c, d);
      ricci.select(1, c).select(1, d).copy_(-0.25 * at::complex(re, im));
    }
  }
  const at::Tensor scalar = at::real((at::linalg_inv(curv.metric).transpose(1, 2) * ricci).sum({1, 2}));
  CHECK_CLOSE(curv.ricci_scalar, scalar, 1e-7);
  CHECK_CLOSE(as_real(curv.ricci), as_real(ricci), 1e-7);
}

TEST_CASE(
    "Chern-Gauss-Bonnet: chi = -200 (quintic), 24 (K3), 0 (cubic) for FS and a random phi-model; cubic R_K <= 2 pi",
    "[geometry]") {
  struct Case {
    Hypersurface surface;
    int64_t n_points;
    double chi;
    bool with_model;
  };
  // Point counts keep 4 standard errors below |χ| (quintic: per-point spread ≈ 1100, so SE ≈ 25 at 2000 points),
  // so a factor 2 or a sign error fails.
  for (const Case& c : {Case{nmflow::fermat_quintic(), 2000, -200.0, false},
                        Case{nmflow::fermat_quartic(), 800, 24.0, false}, Case{nmflow::fermat_quartic(), 400, 24.0, true},
                        Case{nmflow::fermat_cubic(), 1000, 0.0, false}}) {
    INFO(c.surface.name() << (c.with_model ? " with a random phi-model" : " Fubini-Study"));
    const CYPointSet points = nmflow::sample_cy_points(c.surface, c.n_points, 61);
    const KahlerPhiModel model = random_model(c.surface.n_coords(), 9);
    const auto r = nmflow::cy_curvature_measures(c.surface, points, c.with_model ? nmflow::phi_model_potential(model) : nmflow::KahlerPotential{}, 256);
    INFO("chi = " << r.euler_characteristic << " +- " << r.euler_standard_error);
    CHECK(std::abs(r.euler_characteristic - c.chi) < 4 * r.euler_standard_error);
    const double vol_fs = (c.surface.dim() == 3 ? 5.0 / 6.0 : c.surface.dim() == 2 ? 2.0 : 3.0);
    const at::Tensor jet = nmflow::phi_input_jet(model.config().inputs, points, at::kDouble);
    const at::Tensor det_g =
        c.with_model ? nmflow::phi_model_det(model, points, jet, nmflow::PhiJetMethod::WirtingerJet) : points.det_g_fs;
    const at::Tensor w_eta = points.weights * det_g / points.omega_sq;  // det g/det g_FS
    const double abs_chi = vol_fs * (w_eta * r.euler_density.abs()).mean().item<double>();  // ∫|c_m|
    if (c.chi != 0.0) {
      CHECK(4 * r.euler_standard_error < 0.5 * std::abs(c.chi));
    } else {
      CHECK(20 * r.euler_standard_error < abs_chi);  // the cancellation is real, not noise around a tiny integrand
      // Gauss equation: a complex curve in P² has Gauss curvature R_K = 2π − |II|² ≤ 2π, the holomorphic sectional
      // curvature of FS on P² (= 2λ/(m+1), λ = 3π), with equality at the 9 flexes of the Fermat cubic.
      const double top = r.ricci_scalar.max().item<double>();
      CHECK(top <= 2 * M_PI * (1 + 1e-12));
      CHECK(top > 0.9 * 2 * M_PI);
    }
    // The reductions: ‖R‖ = Vol_K^{1/m}/Vol_CY · mean(w η |R_K|), max |R_K|.
    const auto acc = nmflow::cy_accuracy(points.weights, points.omega_sq, det_g);
    const double measure = std::pow(acc.vol_k, 1.0 / static_cast<double>(c.surface.dim())) / acc.vol_cy *
                           (w_eta * r.ricci_scalar.abs()).mean().item<double>();
    CHECK(std::abs(r.ricci_measure - measure) < 1e-12 * measure);
    CHECK(r.max_abs_ricci_scalar == r.ricci_scalar.abs().max().item<double>());
  }
}
