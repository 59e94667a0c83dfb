#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "common/error.h"
#include "geometry/kahler/cy_measures.h"
#include "geometry/kahler/cy_point_set.h"
#include "geometry/kahler/donaldson.h"
#include "geometry/kahler/fubini_study.h"
#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/kahler_curvature.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "geometry/kahler/monomial_basis.h"
#include "support/tolerance.h"

using nmflow::Hypersurface;

namespace {

// A random Hermitian positive definite h = A A† + I, so the tests do not rely on the symmetry of identity.
at::Tensor random_hermitian(int64_t n) {
  const at::Tensor a = at::randn({n, n}, at::kComplexDouble) / std::sqrt(static_cast<double>(n));
  return at::matmul(a, a.conj().transpose(0, 1)) + at::eye(n, at::kComplexDouble);
}

// One-hot [B, rows, N+1] complex with entry [b, r, index[b, r]] = 1.
at::Tensor selector(const at::Tensor& index, int64_t n_coords) {
  return at::zeros({index.size(0), index.size(1), n_coords}, at::kComplexDouble)
      .scatter_(2, index.unsqueeze(2), at::ones({index.size(0), index.size(1), 1}, at::kComplexDouble));
}

}  // namespace

TEST_CASE("Monomial sections of O(k) on the quintic number 5, 15, 35, 70, 125, 205 for k = 1..6 and 460 at k = 8",
          "[geometry]") {
  const Hypersurface quintic = nmflow::fermat_quintic();
  const std::vector<int64_t> expected{5, 15, 35, 70, 125, 205};
  for (int64_t k = 1; k <= 6; ++k) {
    const at::Tensor e = nmflow::section_monomials(quintic, k);
    CHECK(e.size(0) == expected[k - 1]);
    CHECK((e.sum(1) == k).all().item<bool>());
    CHECK((e.select(1, 0) < 5).all().item<bool>());  // none divisible by z_0^5
  }
  CHECK(nmflow::section_monomials(quintic, 8).size(0) == 460);
  CHECK(nmflow::section_monomials(nmflow::dwork_quintic({0.5, 0.3}), 6).size(0) == 205);
  // Without z_0^d in p the standard-monomial rule does not apply.
  const Hypersurface no_leading(at::tensor({0, 5, 0, 0, 0, 1, 1, 1, 1, 1}, at::kLong).reshape({2, 5}),
                                at::ones({2}, at::kComplexDouble));
  CHECK_THROWS_AS(nmflow::section_monomials(no_leading, 2), nmflow::Error);
}

TEST_CASE("Donaldson T-operator as one weighted GEMM equals the explicit sum N_k sum_i w_i s s-bar/S / sum_i w_i",
          "[geometry]") {
  at::manual_seed(21);
  const Hypersurface quintic = nmflow::fermat_quintic();
  const nmflow::CYPointSet points = nmflow::sample_cy_points(quintic, 300, 21);
  const at::Tensor e = nmflow::section_monomials(quintic, 2);
  const int64_t n_k = e.size(0);
  const at::Tensor h = random_hermitian(n_k);
  const at::Tensor s = nmflow::evaluate_monomials(e, points.z);  // [B, N_k]
  // S_i = Σ_αβ s_α h_αβ̄ s̄_β, written as an einsum over both indices.
  const at::Tensor norm = at::real(at::einsum("ba,ac,bc->b", {s, h, s.conj()}));
  const at::Tensor reference =
      at::einsum("b,ba,bc->ac", {(points.weights / norm).to(at::kComplexDouble), s, s.conj()}) *
      (static_cast<double>(n_k) / points.weights.sum().item<double>());
  const at::Tensor t = nmflow::donaldson_t_operator(e, h, points.z, points.weights, /*chunk_points=*/37);
  CHECK_CLOSE(at::view_as_real(t), at::view_as_real(reference), 1e-12);
  // This normalisation makes tr(T(h) hᵀ) = N_k for every h.
  CHECK(std::abs(at::real(at::trace(at::matmul(t, h.transpose(0, 1)))).item<double>() - n_k) < 1e-10);
}

TEST_CASE("k = 1 with h = I is Fubini-Study: same potential, metric and sigma as fubini_study / cy_accuracy",
          "[geometry]") {
  const Hypersurface quintic = nmflow::fermat_quintic();
  const nmflow::CYPointSet points = nmflow::sample_cy_points(quintic, 20000, 7);
  const nmflow::BalancedMetric fs = nmflow::balanced_metric_from(quintic, 1, at::eye(5, at::kComplexDouble));
  const at::Tensor z = points.z * c10::complex<double>(0.7, -0.4);  // any scaling of the homogeneous coordinates
  CHECK_CLOSE(nmflow::balanced_kahler_potential(fs, z), at::log(at::real((z * z.conj()).sum(1))) / M_PI, 1e-13);
  CHECK_CLOSE(at::view_as_real(nmflow::balanced_ambient_metric(fs, z)),
              at::view_as_real(nmflow::fubini_study_ambient(z)), 1e-13);
  CHECK_CLOSE(at::view_as_real(nmflow::balanced_metric_on_x(fs, points)), at::view_as_real(points.g_fs), 1e-12);
  const nmflow::CYAccuracy balanced = nmflow::balanced_accuracy(fs, points);
  const nmflow::CYAccuracy reference = nmflow::cy_accuracy(points.weights, points.omega_sq, points.det_g_fs);
  INFO("sigma " << balanced.sigma << " vs " << reference.sigma);
  CHECK(std::abs(balanced.sigma - reference.sigma) < 1e-10);
  CHECK(std::abs(balanced.kappa - reference.kappa) < 1e-10 * reference.kappa);
  CHECK(std::abs(reference.sigma - 0.372) < 0.008);
}

TEST_CASE("Balanced-metric g = P G P-dagger equals the autograd Wirtinger Hessian of K on X to 1e-10",
          "[geometry]") {
  at::manual_seed(22);
  const Hypersurface surface = nmflow::dwork_quintic({0.5, 0.3});
  const nmflow::CYPointSet points = nmflow::sample_cy_points(surface, 10, 22);
  const int64_t n_coords = surface.n_coords();
  const int64_t m = surface.dim();
  for (int64_t k : {2, 3}) {
    const nmflow::BalancedMetric metric =
        nmflow::balanced_metric_from(surface, k, random_hermitian(nmflow::section_monomials(surface, k).size(0)));
    // Ambient: G_IJ̄ = ∂_I∂_J̄ K in C^{N+1}, K a function of (Re z, Im z).
    const auto ambient_potential = [&](const at::Tensor& x) {
      return nmflow::balanced_kahler_potential(
          metric, at::complex(x.narrow(1, 0, n_coords), x.narrow(1, n_coords, n_coords)));
    };
    const at::Tensor x_ambient = at::cat({at::real(points.z), at::imag(points.z)}, 1);
    CHECK_CLOSE(at::view_as_real(nmflow::complex_hessian(ambient_potential, x_ambient)),
                at::view_as_real(nmflow::balanced_ambient_metric(metric, points.z)), 1e-10);

    // On X: local coordinates w_a = z_{I_a} vary, z_k = 1 stays, and z_e follows X by one Newton step from the
    // sampled root, z_e = z_e⁰ − p(z)/∂_e p(z⁰). That is holomorphic in w with the exact first derivative at w⁰,
    // which is all ∂_a∂_b̄ K needs, and it does not use the pullback P that the closed form uses.
    const at::Tensor local = selector(points.local_indices, n_coords);             // [B, m, N+1]
    const at::Tensor elim = selector(points.eliminated.unsqueeze(1), n_coords);    // [B, 1, N+1]
    const at::Tensor w0 = points.z.gather(1, points.local_indices);
    const at::Tensor dp_e = surface.gradient(points.z).gather(1, points.eliminated.unsqueeze(1)).squeeze(1);
    const at::Tensor p_exponents = surface.exponents();
    const at::Tensor p_coefficients = surface.coefficients();
    const auto potential_on_x = [&](const at::Tensor& x) {
      const at::Tensor w = at::complex(x.narrow(1, 0, m), x.narrow(1, m, m));
      const at::Tensor z_moved = points.z + at::matmul((w - w0).unsqueeze(1), local).squeeze(1);
      const at::Tensor p = at::matmul(nmflow::evaluate_monomials(p_exponents, z_moved), p_coefficients);
      const at::Tensor z = z_moved - (p / dp_e).unsqueeze(1) * elim.squeeze(1);
      return nmflow::balanced_kahler_potential(metric, z);
    };
    const at::Tensor x_local = at::cat({at::real(w0), at::imag(w0)}, 1);
    const at::Tensor g = nmflow::balanced_metric_on_x(metric, points);
    CHECK_CLOSE(at::view_as_real(nmflow::complex_hessian(potential_on_x, x_local)), at::view_as_real(g), 1e-10);
    // Not a vacuous match: log S is strictly plurisubharmonic, so g is positive definite with O(1/π) entries.
    CHECK(at::linalg_eigvalsh(g).min().item<double>() > 1e-4);
  }
}

TEST_CASE("Donaldson iteration reaches the balanced condition T(h) h^T = I on the Fermat quintic at k = 2",
          "[geometry]") {
  const Hypersurface quintic = nmflow::fermat_quintic();
  const nmflow::CYPointSet points = nmflow::sample_cy_points(quintic, 10000, 23);
  nmflow::DonaldsonOptions options;
  options.max_iterations = 15;
  const nmflow::BalancedMetric metric = nmflow::donaldson_balanced_metric(quintic, points, 2, options);
  const double residual = nmflow::balance_residual(
      nmflow::donaldson_t_operator(metric.exponents, metric.h, points.z, points.weights), metric.h);
  INFO("residuals: first " << metric.residuals.front() << ", last " << metric.residuals.back());
  CHECK(metric.residuals.size() == 16);
  CHECK(std::abs(residual - metric.residuals.back()) < 1e-12);
  CHECK(residual < 1e-8);
  CHECK(metric.residuals.front() > 1e3 * residual);  // h = I is not balanced at k = 2
  // h stays Hermitian positive definite.
  CHECK_CLOSE(at::view_as_real(metric.h), at::view_as_real(metric.h.conj().transpose(0, 1).resolve_conj()), 1e-12);
  CHECK(at::linalg_eigvalsh(metric.h).min().item<double>() > 0.0);
}

TEST_CASE("Balanced metrics on the Fermat quintic improve sigma for k = 1, 2, 3 (held-out points)", "[geometry]") {
  const Hypersurface quintic = nmflow::fermat_quintic();
  const nmflow::CYPointSet balancing = nmflow::sample_cy_points(quintic, 20000, 31);
  const nmflow::CYPointSet held_out = nmflow::sample_cy_points(quintic, 20000, 32);
  nmflow::DonaldsonOptions options;
  options.tolerance = 1e-10;
  std::vector<double> sigma;
  for (int64_t k = 1; k <= 3; ++k) {
    const nmflow::BalancedMetric metric = nmflow::donaldson_balanced_metric(quintic, balancing, k, options);
    sigma.push_back(nmflow::balanced_accuracy(metric, held_out).sigma);
  }
  INFO("sigma_1..3 = " << sigma[0] << ", " << sigma[1] << ", " << sigma[2]);
  CHECK(std::abs(sigma[0] - 0.372) < 0.01);  // balanced k = 1 on the Fermat quintic is FS up to sampling noise
  CHECK(sigma[1] < 0.8 * sigma[0]);
  CHECK(sigma[2] < 0.8 * sigma[1]);
}
