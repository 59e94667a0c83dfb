#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <vector>

#include "common/error.h"
#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "geometry/kahler/patch_transition.h"
#include "models/free_cy_metric.h"
#include "support/tolerance.h"

using nmflow::FreeCYMetric;
using nmflow::FreeCYMetricConfig;
using nmflow::FreeMetricHead;
using nmflow::PhiInputs;

namespace {

// A random model whose output layer is not zeroed, so every term of the head's derivative contributes.
FreeCYMetric random_model(FreeMetricHead head, PhiInputs inputs, int64_t n_coords) {
  FreeCYMetricConfig config;
  config.head = head;
  config.inputs = inputs;
  config.hidden = {12, 10};
  config.sigma_w = 0.6;  // outputs of order 0.3: the multiplicative and additive metrics stay near g_FS
  config.zero_output_layer = false;
  config.seed = 5;
  return FreeCYMetric(config, n_coords);
}

at::Tensor as_real(const at::Tensor& complex) { return at::view_as_real(complex.contiguous()); }

// ∂_a g_FS,ij̄ by the autograd baseline (g_FS rebuilt from z in the points' charts).
at::Tensor fubini_study_derivative(const nmflow::Hypersurface& surface, const nmflow::CYPointSet& points) {
  return nmflow::holomorphic_derivative_by_autograd(
      [&](const at::Tensor& z) {  // a zero-initialised additive model is g_FS exactly
        return FreeCYMetric(FreeCYMetricConfig{FreeMetricHead::Additive}, surface.n_coords())
            .metric_of_z(surface, z, points.patch, points.eliminated, points.local_indices);
      },
      points.z, points.pullback, false);
}

// ∂_a F = ½(∂/∂Re x_a − i ∂/∂Im x_a) F by central differences through the chart map x ↦ z(x).
// F: z [B, N+1] → [B, m, m] complex. Returns [B, m, m, m].
template <typename F>
at::Tensor chart_finite_difference(const nmflow::Hypersurface& surface, const nmflow::CYPointSet& points, F fn,
                                   double h) {
  const at::Tensor x0 = points.z.gather(1, points.local_indices);
  const int64_t m = x0.size(1);
  std::vector<at::Tensor> rows;
  for (int64_t a = 0; a < m; ++a) {
    const auto shifted = [&](c10::complex<double> step) {
      at::Tensor x = x0.clone();
      x.select(1, a).add_(step);
      return fn(nmflow::chart_point(surface, points.z, points.patch, points.eliminated, points.local_indices, x));
    };
    const at::Tensor d_re = (shifted({h, 0.0}) - shifted({-h, 0.0})) / (2.0 * h);
    const at::Tensor d_im = (shifted({0.0, h}) - shifted({0.0, -h})) / (2.0 * h);
    rows.push_back(0.5 * (d_re - c10::complex<double>(0.0, 1.0) * d_im));
  }
  return at::stack(rows, 1);
}

}  // namespace

TEST_CASE("Zero-initialised heads: additive and multiplicative are g_FS, free is the identity", "[models]") {
  const nmflow::Hypersurface surface = nmflow::fermat_quintic();
  const nmflow::CYPointSet points = nmflow::sample_cy_points(surface, 40, 3);
  const at::Tensor inputs = nmflow::phi_input_jet(PhiInputs::Invariant, points, at::kDouble).select(1, 0);
  for (const FreeMetricHead head : {FreeMetricHead::Additive, FreeMetricHead::Multiplicative}) {
    const FreeCYMetric model(FreeCYMetricConfig{head}, surface.n_coords());
    CHECK_CLOSE(as_real(model.metric(inputs, points.g_fs)), as_real(points.g_fs), 1e-15);
  }
  const FreeCYMetric free_model(FreeCYMetricConfig{FreeMetricHead::Free}, surface.n_coords());
  const at::Tensor eye = at::eye(3, at::kComplexDouble).expand({40, 3, 3});
  CHECK_CLOSE(as_real(free_model.metric(inputs, points.g_fs)), as_real(eye), 1e-15);
}

TEST_CASE("The free (Cholesky) head is Hermitian positive definite for large random outputs", "[models]") {
  const at::Tensor v = 1.5 * at::randn({500, 9}, at::TensorOptions().dtype(at::kDouble));
  const at::Tensor unused = at::zeros({500, 3, 3}, at::kComplexDouble);
  const at::Tensor g = nmflow::free_metric_head(FreeMetricHead::Free, v, unused);
  CHECK_CLOSE(as_real(g), as_real(at::conj(g).transpose(1, 2)), 1e-14);
  CHECK(at::linalg_eigvalsh(g).min().item<double>() > 0.0);
  // det g = Π exp(2 v_ii) for g = L L† with L_ii = exp(v_ii). g's condition number reaches ~1e8 for these v, so
  // linalg_det is good to ~1e-8 relative; a wrong factor (exp(v_ii) vs exp(2 v_ii)) would be off by O(1).
  const at::Tensor det = at::real(at::linalg_det(g));
  const at::Tensor expected = (2.0 * v.index_select(1, at::tensor({0, 4, 8}, at::kLong)).sum(1)).exp();
  CHECK_CLOSE(det.log(), expected.log(), 1e-7);
}

TEST_CASE("Forward metric jet equals the autograd holomorphic derivative of the metric as a function of z",
          "[models]") {
  for (const auto& surface : {nmflow::fermat_quintic(), nmflow::dwork_quartic({0.3, 0.2})}) {
    const nmflow::CYPointSet points = nmflow::sample_cy_points(surface, 12, 17);
    const at::Tensor dg_fs = fubini_study_derivative(surface, points);
    for (const PhiInputs inputs : {PhiInputs::PatchAffine, PhiInputs::Invariant}) {
      for (const FreeMetricHead head : {FreeMetricHead::Free, FreeMetricHead::Additive,
                                        FreeMetricHead::Multiplicative}) {
        INFO(surface.name() << " " << nmflow::phi_inputs_name(inputs) << " " << nmflow::free_metric_head_name(head));
        const FreeCYMetric model = random_model(head, inputs, surface.n_coords());
        const at::Tensor jet_inputs = nmflow::phi_input_jet(inputs, points, at::kDouble);
        const nmflow::HermitianJet jet = model.metric_jet(jet_inputs, points.g_fs, dg_fs);
        const auto metric_fn = [&](const at::Tensor& z) {
          return model.metric_of_z(surface, z, points.patch, points.eliminated, points.local_indices);
        };
        const at::Tensor reference = nmflow::holomorphic_derivative_by_autograd(metric_fn, points.z,
                                                                                points.pullback, false);
        REQUIRE(as_real(reference).abs().max().item<double>() > 1e-2);
        CHECK_CLOSE(as_real(jet.g), as_real(metric_fn(points.z)), 1e-13);
        CHECK_CLOSE(as_real(jet.dg), as_real(reference), 1e-11);
      }
    }
  }
}

TEST_CASE("Holomorphic derivatives of g_FS and of a free model match central differences in the chart",
          "[models]") {
  const nmflow::Hypersurface surface = nmflow::dwork_quintic({0.2, -0.1});
  const nmflow::CYPointSet points = nmflow::sample_cy_points(surface, 12, 23);
  const double h = 1e-5;
  const at::Tensor dg_fs = fubini_study_derivative(surface, points);
  const auto fs_fn = [&](const at::Tensor& z) {
    return nmflow::cy_point_set_at(surface, z, points.patch, points.eliminated).g_fs;
  };
  CHECK_CLOSE(as_real(dg_fs), as_real(chart_finite_difference(surface, points, fs_fn, h)), 1e-8);
  // g_FS is Kähler: ∂_a g_ib̄ = ∂_i g_ab̄ (the autograd path through P(z) gets the second derivative of the chart).
  CHECK_CLOSE(as_real(dg_fs), as_real(dg_fs.transpose(1, 2)), 1e-13);

  const FreeCYMetric model = random_model(FreeMetricHead::Multiplicative, PhiInputs::PatchAffine, surface.n_coords());
  const nmflow::HermitianJet jet =
      model.metric_jet(nmflow::phi_input_jet(PhiInputs::PatchAffine, points, at::kDouble), points.g_fs, dg_fs);
  const auto model_fn = [&](const at::Tensor& z) {
    return model.metric_of_z(surface, z, points.patch, points.eliminated, points.local_indices);
  };
  const at::Tensor fd = chart_finite_difference(surface, points, model_fn, h);
  CHECK_CLOSE(as_real(jet.dg), as_real(fd), 1e-8);
  // and the model is not Kähler: the antisymmetric part is far above the finite-difference error.
  CHECK(as_real(jet.dg - jet.dg.transpose(1, 2)).abs().max().item<double>() > 1e-3);
}

TEST_CASE("Unknown free metric head names throw naming the allowed ones", "[models]") {
  CHECK(nmflow::parse_free_metric_head("multiplicative") == FreeMetricHead::Multiplicative);
  CHECK_THROWS_WITH(nmflow::parse_free_metric_head("matrix"),
                    Catch::Contains("allowed: free, additive, multiplicative"));
}
