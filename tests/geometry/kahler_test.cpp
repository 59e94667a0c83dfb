#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <complex>

#include "geometry/autograd_jet.h"
#include "geometry/curvature/curvature_reference.h"
#include "geometry/kahler/fubini_study.h"
#include "geometry/kahler/kahler_curvature.h"
#include "support/tolerance.h"

namespace {

// Real coordinates x = (Re w, Im w) of a few points of CP^m's affine chart, and the matching complex w.
at::Tensor chart_points(int64_t m, int64_t count) {
  return 0.8 * at::randn({count, 2 * m}, at::kDouble);
}

at::Tensor to_complex(const at::Tensor& x) {
  const int64_t m = x.size(1) / 2;
  return at::complex(x.narrow(1, 0, m).contiguous(), x.narrow(1, m, m).contiguous());
}

}  // namespace

TEST_CASE("Wirtinger Hessian of (1/pi) log(1+|w|^2) is the closed-form Fubini-Study metric on CP^1, CP^2",
          "[geometry]") {
  at::manual_seed(11);
  for (int64_t m : {1, 2}) {
    const at::Tensor x = chart_points(m, 8);
    const at::Tensor g = nmflow::complex_hessian([](const at::Tensor& y) { return nmflow::fubini_study_potential(y); }, x);
    CHECK_CLOSE(at::view_as_real(g), at::view_as_real(nmflow::fubini_study_affine(to_complex(x))), 1e-12);
    // The real form of that Hermitian matrix is the real metric written with real ops.
    CHECK_CLOSE(nmflow::real_form(g), nmflow::fubini_study_real_metric(x), 1e-12);
  }
}

TEST_CASE("Fubini-Study on P^N pulled back to the chart z = (1, w) is the affine FS metric, and G conj(z) = 0",
          "[geometry]") {
  at::manual_seed(12);
  const int64_t m = 3;
  const at::Tensor w = to_complex(chart_points(m, 6));
  const at::Tensor z = at::cat({at::ones({6, 1}, w.options()), w}, 1);
  const at::Tensor big_g = nmflow::fubini_study_ambient(z);
  CHECK_CLOSE(at::view_as_real(big_g.narrow(1, 1, m).narrow(2, 1, m)),
              at::view_as_real(nmflow::fubini_study_affine(w)), 1e-13);
  // G_IJ̄ z̄_J = 0: the Euler direction is null, so G is a metric on P^N, not C^{N+1}.
  const at::Tensor null = at::matmul(big_g, z.conj().unsqueeze(2)).squeeze(2);
  CHECK(null.abs().max().item<double>() < 1e-14);
  // G_IJ̄ is homogeneous of bidegree (−1, −1): G(λz) = G(z)/|λ|², so that P G P† is chart-independent.
  const c10::complex<double> lambda(0.3, -1.7);
  CHECK_CLOSE(at::view_as_real(nmflow::fubini_study_ambient(z * lambda)),
              at::view_as_real(big_g / std::norm(std::complex<double>(0.3, -1.7))), 1e-13);
}

TEST_CASE("Kahler Ricci of Fubini-Study on CP^m is Einstein: R_ij = pi (m+1) g_ij, R_K = pi m (m+1)",
          "[geometry]") {
  at::manual_seed(13);
  for (int64_t m : {1, 2}) {
    const at::Tensor x = chart_points(m, 6);
    const auto curvature =
        nmflow::kahler_curvature_from_potential([](const at::Tensor& y) { return nmflow::fubini_study_potential(y); }, x);
    const double lambda = M_PI * (m + 1);
    CHECK_CLOSE(at::view_as_real(curvature.ricci), at::view_as_real(lambda * curvature.metric), 1e-10);
    CHECK_CLOSE(curvature.scalar, at::full({6}, M_PI * m * (m + 1), at::kDouble), 1e-10);
  }
}

TEST_CASE("Real curvature engine on 2 Re(g dw dwbar) reproduces the Kahler Ricci and scalar (CP^1, CP^2)",
          "[geometry]") {
  at::manual_seed(14);
  for (int64_t m : {1, 2}) {
    const at::Tensor x = chart_points(m, 6);
    const auto kahler =
        nmflow::kahler_curvature_from_potential([](const at::Tensor& y) { return nmflow::fubini_study_potential(y); }, x);
    const nmflow::MetricJet jet =
        nmflow::jet_by_autograd([](const at::Tensor& y) { return nmflow::fubini_study_real_metric(y); }, x);
    const auto real = nmflow::curvature_reference(jet);
    // Riemannian Ric has the same real form as the metric: Ric(∂_i, ∂_j̄) = R_ij̄.
    CHECK_CLOSE(real.ricci, nmflow::real_form(kahler.ricci), 1e-10);
    // Riemannian scalar = g^{ab} Ric_ab over (∂_i, ∂_ī) = 2 g^{j̄i} R_ij̄.
    CHECK_CLOSE(real.scalar, 2.0 * kahler.scalar, 1e-10);
    // Both Einstein with the constant of the K = (1/π) log(1+|w|²) normalisation (docs/kahler.md).
    CHECK_CLOSE(real.ricci, M_PI * (m + 1) * jet.g, 1e-10);
    CHECK_CLOSE(real.scalar, at::full({6}, 2.0 * M_PI * m * (m + 1), at::kDouble), 1e-10);
  }
}

TEST_CASE("CP^1 with K = (1/pi) log(1+|w|^2) is the round sphere of radius 1/sqrt(2 pi) (area 2, Gauss curvature 2 pi)",
          "[geometry]") {
  // ds² = 2 g dw dw̄ = 2/(π(1+r²)²)|dx|² = 4ρ²/(1+r²)²|dx|² with ρ² = 1/(2π).
  at::manual_seed(15);
  const at::Tensor x = chart_points(1, 5);
  const double rho_sq = 1.0 / (2.0 * M_PI);
  const at::Tensor expected = (4.0 * rho_sq / (1.0 + (x * x).sum(1)).pow(2)).view({-1, 1, 1}) *
                              at::eye(2, at::kDouble).expand({5, 2, 2});
  CHECK_CLOSE(nmflow::fubini_study_real_metric(x), expected, 1e-14);
}
