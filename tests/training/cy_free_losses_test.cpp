#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <catch2/catch.hpp>
#include <torch/csrc/autograd/autograd.h>

#include <cmath>
#include <vector>

#include "training/cy_free_losses.h"
#include "training/cy_free_training.h"
#include "geometry/kahler/cy_measures.h"
#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "geometry/kahler/patch_transition.h"
#include "models/free_cy_metric.h"
#include "models/kahler_phi_model.h"
#include "support/tolerance.h"

using nmflow::FreeCYMetric;
using nmflow::FreeCYMetricConfig;
using nmflow::FreeMetricHead;
using nmflow::PhiInputs;

namespace {

at::Tensor as_real(const at::Tensor& complex) { return at::view_as_real(complex.contiguous()); }

double mean_squared(const at::Tensor& c) { return as_real(c).square().sum().item<double>() / c.size(0); }

// g = P(z) (G_FS(z) + ∂∂̄φ(z)) P(z)† as a twice-differentiable function of z in a fixed chart: the potential
// K = (1/π) log|z|² + φ, its ambient Hessian by autograd with create_graph, Wirtinger ∂_I∂_J̄ = ¼(H_xx + H_yy +
// i(H_xy − H_yx)) — so that holomorphic_derivative_by_autograd can take one more derivative (third order of K).
at::Tensor phi_metric_of_z(const nmflow::KahlerPhiModel& phi, const nmflow::Hypersurface& surface,
                           const at::Tensor& z, const at::Tensor& patch, const at::Tensor& eliminated,
                           const at::Tensor& local_indices) {
  const int64_t n = z.size(1);
  const c10::AutoGradMode grad_mode(true);
  at::Tensor zr = at::real(z).clone();
  at::Tensor zi = at::imag(z).clone();
  if (!zr.requires_grad()) {  // a value-only call: differentiate in z itself
    zr.requires_grad_(true);
    zi.requires_grad_(true);
  }
  const at::Tensor zc = at::complex(zr, zi);
  const at::Tensor potential = (zr.square() + zi.square()).sum(1).log() / M_PI + phi.phi(zc, patch);
  const auto first = torch::autograd::grad({potential.sum()}, {zr, zi}, {}, true, true);
  const at::Tensor grad = at::cat({first[0], first[1]}, 1);  // [B, 2n]
  std::vector<at::Tensor> rows;
  for (int64_t r = 0; r < 2 * n; ++r) {
    const auto second = torch::autograd::grad({grad.select(1, r).sum()}, {zr, zi}, {}, true, true, true);
    rows.push_back(at::cat({second[0].defined() ? second[0] : at::zeros_like(zr),
                            second[1].defined() ? second[1] : at::zeros_like(zi)},
                           1));
  }
  const at::Tensor h = at::stack(rows, 1);
  const at::Tensor hxx = h.narrow(1, 0, n).narrow(2, 0, n), hyy = h.narrow(1, n, n).narrow(2, n, n);
  const at::Tensor hxy = h.narrow(1, 0, n).narrow(2, n, n), hyx = h.narrow(1, n, n).narrow(2, 0, n);
  const at::Tensor ambient = at::complex(0.25 * (hxx + hyy), 0.25 * (hxy - hyx));
  const at::Tensor p = nmflow::pullback_at(surface, zc, patch, eliminated, local_indices);
  return at::matmul(at::matmul(p, ambient), at::conj(p).transpose(1, 2));
}

nmflow::KahlerPhiModel random_phi(int64_t n_coords) {
  nmflow::KahlerPhiModelConfig config;
  config.hidden = {10, 8};
  config.zero_output_layer = false;
  config.sigma_w = 1.0;
  config.seed = 3;
  return nmflow::KahlerPhiModel(config, n_coords);
}

FreeCYMetric random_free_model(FreeMetricHead head, int64_t n_coords) {
  FreeCYMetricConfig config;
  config.head = head;
  config.inputs = PhiInputs::PatchAffine;
  config.hidden = {12, 10};
  config.sigma_w = 0.6;
  config.zero_output_layer = false;
  config.seed = 9;
  return FreeCYMetric(config, n_coords);
}

}  // namespace

TEST_CASE("Kahler loss of a single non-symmetric derivative is 2 and transition loss of g' = g, J = 2 is 9/2",
          "[flows]") {
  at::Tensor dg = at::zeros({1, 2, 2, 2}, at::kComplexDouble);
  dg[0][0][1][0] = 1.0;  // ∂_0 g_10̄ = 1, ∂_1 g_00̄ = 0: c_010 = 1, c_100 = −1
  CHECK(nmflow::kahler_loss(dg).total.item<double>() == Approx(2.0).epsilon(1e-15));
  // symmetric derivatives cost nothing
  dg[0][1][0][0] = 1.0;
  CHECK(nmflow::kahler_loss(dg).total.item<double>() == 0.0);
  // g' = I, J g J† = 4I: residual −3I, Σ|·|² = 18 per row, / m² = 4
  const at::Tensor eye = at::eye(2, at::kComplexDouble).expand({3, 2, 2});
  CHECK(nmflow::transition_loss(eye, eye, 2.0 * eye).total.item<double>() == Approx(4.5).epsilon(1e-15));
}

TEST_CASE("Chart transition Jacobian matches finite differences of the chart map and maps the pullbacks",
          "[flows]") {
  const nmflow::Hypersurface surface = nmflow::dwork_quintic({0.2, -0.1});
  const nmflow::CYPointSet points = nmflow::sample_cy_points(surface, 15, 31);
  const nmflow::PatchTransitions transitions = nmflow::patch_transitions(surface, points);
  const nmflow::CYPointSet& alt = transitions.alternative;
  const int64_t m = 3;
  REQUIRE(transitions.per_point == m);
  REQUIRE(alt.size() == 15 * m);
  const nmflow::CYPointSet original = [&] {  // the original description, one row per transition
    const at::Tensor rows = at::arange(15, at::kLong).repeat_interleave(m);
    return nmflow::cy_point_set_at(surface, points.z.index_select(0, rows), points.patch.index_select(0, rows),
                                   points.eliminated.index_select(0, rows));
  }();
  // Σ_a J_c^a P_a = z_k' (P'_c − P'_c^k z)
  const at::Tensor z_alt = original.z.gather(1, alt.patch.unsqueeze(1)).unsqueeze(2);
  const at::Tensor p_patch = alt.pullback.gather(2, original.patch.view({-1, 1, 1}).expand({-1, m, 1}));
  CHECK_CLOSE(as_real(at::matmul(transitions.jacobian, original.pullback)),
              as_real(z_alt * (alt.pullback - p_patch * original.z.unsqueeze(1))), 1e-12);
  CHECK_CLOSE(as_real(transitions.jacobian), as_real(nmflow::chart_transition_jacobian(original, alt)), 0.0);
  // ∂x_a/∂x'_c by central differences: move x'_c, solve the chart map of the alternative chart, read x = z_{I_a}/z_k.
  const double h = 1e-6;
  const at::Tensor x_alt = alt.z.gather(1, alt.local_indices);
  const auto original_coordinates = [&](const at::Tensor& x) {
    const at::Tensor z = nmflow::chart_point(surface, alt.z, alt.patch, alt.eliminated, alt.local_indices, x);
    return z.gather(1, original.local_indices) / z.gather(1, original.patch.unsqueeze(1));
  };
  for (int64_t c = 0; c < m; ++c) {
    for (const c10::complex<double> step : {c10::complex<double>(h, 0.0), c10::complex<double>(0.0, h)}) {
      at::Tensor plus = x_alt.clone(), minus = x_alt.clone();
      plus.select(1, c).add_(step);
      minus.select(1, c).sub_(step);
      const at::Tensor fd = (original_coordinates(plus) - original_coordinates(minus)) / (2.0 * step);
      // holomorphic: the derivative along i·h is the same complex number as along h
      CHECK_CLOSE(as_real(fd), as_real(transitions.jacobian.select(1, c)), 1e-8);
    }
  }
}

TEST_CASE("g_FS and a phi-model metric are Kahler and patch-consistent: L_K and L_T vanish to rounding",
          "[flows]") {
  const nmflow::Hypersurface surface = nmflow::dwork_quintic({0.2, -0.1});
  const nmflow::CYPointSet points = nmflow::sample_cy_points(surface, 12, 41);
  const nmflow::FreeMetricData data =
      nmflow::prepare_free_metric_data(surface, points, PhiInputs::PatchAffine, at::kDouble);
  const int64_t m = 3;
  // Fubini–Study
  const double fs_scale = mean_squared(data.dg_fs);
  CHECK(nmflow::kahler_loss(data.dg_fs).total.item<double>() <= 1e-26 * fs_scale);
  const at::Tensor g_rep = data.g_fs.repeat_interleave(m, 0);
  const double lt_fs =
      nmflow::transition_loss(data.alt_g_fs.flatten(0, 1), g_rep, data.jacobian.flatten(0, 1)).total.item<double>();
  CHECK(lt_fs <= 1e-26 * mean_squared(data.g_fs) / (m * m));  // L_T is per entry
  // φ-model with invariant inputs (a global function on X): g = g_FS + ∂∂̄φ in every chart
  const nmflow::KahlerPhiModel phi = random_phi(surface.n_coords());
  const auto phi_fn = [&](const at::Tensor& z) {
    return phi_metric_of_z(phi, surface, z, points.patch, points.eliminated, points.local_indices);
  };
  const at::Tensor dg_phi = nmflow::holomorphic_derivative_by_autograd(phi_fn, points.z, points.pullback, false);
  const at::Tensor g_phi = phi_fn(points.z).detach();
  REQUIRE(as_real(g_phi - points.g_fs).abs().max().item<double>() > 1e-3);  // φ contributes
  CHECK(nmflow::kahler_loss(dg_phi).total.item<double>() <= 1e-24 * mean_squared(dg_phi));
  const nmflow::PatchTransitions transitions = nmflow::patch_transitions(surface, points);
  const nmflow::CYPointSet& alt = transitions.alternative;
  const at::Tensor g_phi_alt =
      phi_metric_of_z(phi, surface, alt.z, alt.patch, alt.eliminated, alt.local_indices).detach();
  const double lt_phi =
      nmflow::transition_loss(g_phi_alt, g_phi.repeat_interleave(m, 0), transitions.jacobian).total.item<double>();
  CHECK(lt_phi <= 1e-24 * mean_squared(g_phi) / (m * m));
  // A random free (Cholesky) and multiplicative network is neither.
  for (const FreeMetricHead head : {FreeMetricHead::Free, FreeMetricHead::Multiplicative}) {
    const FreeCYMetric model = random_free_model(head, surface.n_coords());
    const nmflow::HermitianJet jet = model.metric_jet(data.input_jet, data.g_fs, data.dg_fs);
    const at::Tensor g_alt = model.metric(data.alt_inputs.flatten(0, 1), data.alt_g_fs.flatten(0, 1));
    INFO(nmflow::free_metric_head_name(head));
    CHECK(nmflow::kahler_loss(jet.dg).total.item<double>() > 1e-3 * mean_squared(jet.dg));
    CHECK(nmflow::transition_loss(g_alt, jet.g.repeat_interleave(m, 0), data.jacobian.flatten(0, 1))
              .total.item<double>() > 1e-3 * mean_squared(jet.g) / (m * m));
  }
}

TEST_CASE("A zero-initialised multiplicative model's loss is the Fubini-Study Monge-Ampere loss", "[flows]") {
  const nmflow::Hypersurface surface = nmflow::fermat_quintic();
  const nmflow::CYPointSet points = nmflow::sample_cy_points(surface, 200, 43);
  const nmflow::FreeMetricData data =
      nmflow::prepare_free_metric_data(surface, points, PhiInputs::PatchAffine, at::kDouble);
  FreeCYMetricConfig config;
  config.inputs = PhiInputs::PatchAffine;
  const FreeCYMetric model(config, surface.n_coords());
  const double kappa = nmflow::fubini_study_kappa(points);
  const nmflow::LossValue loss = nmflow::free_metric_loss(model, data, kappa, nmflow::FreeLossWeights{});
  const double fs = nmflow::monge_ampere_loss(points.det_g_fs, points.omega_sq, points.weights, kappa,
                                              nmflow::MongeAmpereWeighting::Weighted)
                        .total.item<double>();
  REQUIRE(loss.terms.size() == 3);
  CHECK(loss.terms[0].first == "monge_ampere");
  CHECK(loss.terms[0].second == Approx(fs).epsilon(1e-12));
  CHECK(loss.terms[1].first == "kahler");
  CHECK(std::abs(loss.terms[1].second) < 1e-26);
  CHECK(loss.terms[2].first == "transition");
  CHECK(std::abs(loss.terms[2].second) < 1e-26);
  CHECK(loss.total.item<double>() == Approx(fs).epsilon(1e-12));
  const nmflow::FreeCYEpochRecord record = nmflow::evaluate_free_metric(model, data);
  CHECK(record.cy.sigma ==
        Approx(nmflow::cy_accuracy(points.weights, points.omega_sq, points.det_g_fs).sigma).epsilon(1e-12));
}

TEST_CASE("With kappa = batch the free model's Monge-Ampere term uses the batch's kappa, not the one passed",
          "[flows]") {
  const nmflow::Hypersurface surface = nmflow::fermat_quintic();
  const nmflow::CYPointSet points = nmflow::sample_cy_points(surface, 100, 45);
  const nmflow::FreeMetricData data =
      nmflow::prepare_free_metric_data(surface, points, PhiInputs::Invariant, at::kDouble);
  const FreeCYMetric model(FreeCYMetricConfig{}, surface.n_coords());  // zero output layer: g = g_FS
  nmflow::FreeLossWeights weights;
  weights.kappa = nmflow::MongeAmpereKappa::Batch;
  const double batch = nmflow::monge_ampere_loss(points.det_g_fs, points.omega_sq, points.weights, 0.0,
                                                 nmflow::MongeAmpereWeighting::Weighted,
                                                 nmflow::MongeAmpereKappa::Batch)
                           .total.item<double>();
  const double fixed = nmflow::monge_ampere_loss(points.det_g_fs, points.omega_sq, points.weights, 10.0,
                                                 nmflow::MongeAmpereWeighting::Weighted)
                           .total.item<double>();
  const nmflow::LossValue loss = nmflow::free_metric_loss(model, data, 10.0, weights);
  CHECK(loss.terms[0].second == Approx(batch).epsilon(1e-12));
  CHECK(std::abs(batch - fixed) > 0.5);  // κ = 10 is far from the points' κ ≈ 0.018: the two would differ
}

TEST_CASE("Parameter gradient of the free-model loss matches central differences", "[flows]") {
  const nmflow::Hypersurface surface = nmflow::fermat_quintic();
  const nmflow::CYPointSet points = nmflow::sample_cy_points(surface, 40, 47);
  const nmflow::FreeMetricData data =
      nmflow::prepare_free_metric_data(surface, points, PhiInputs::PatchAffine, at::kDouble);
  const double kappa = nmflow::fubini_study_kappa(points);
  for (const FreeMetricHead head : {FreeMetricHead::Free, FreeMetricHead::Multiplicative}) {
    INFO(nmflow::free_metric_head_name(head));
    FreeCYMetric model = random_free_model(head, surface.n_coords());
    const nmflow::FreeLossWeights weights{0.7, 1.3, nmflow::MongeAmpereWeighting::Weighted};
    const std::vector<at::Tensor> params = model.parameters();
    const at::Tensor total = nmflow::free_metric_loss(model, data, kappa, weights).total;
    const auto grads = torch::autograd::grad({total}, params);
    std::vector<at::Tensor> direction;
    double analytic = 0.0;
    for (size_t i = 0; i < params.size(); ++i) {
      direction.push_back(at::randn(params[i].sizes(), params[i].options().requires_grad(false)));
      analytic += (grads[i] * direction.back()).sum().item<double>();
    }
    const double h = 1e-6;
    const auto shifted = [&](double s) {
      const c10::AutoGradMode no_grad(false);
      for (size_t i = 0; i < params.size(); ++i) params[i].add_(s * direction[i]);
      const double value = nmflow::free_metric_loss(model, data, kappa, weights).total.item<double>();
      for (size_t i = 0; i < params.size(); ++i) params[i].sub_(s * direction[i]);
      return value;
    };
    const double numeric = (shifted(h) - shifted(-h)) / (2.0 * h);
    CHECK(numeric == Approx(analytic).epsilon(1e-6));
  }
}

TEST_CASE("Short Adam training of the multiplicative model lowers sigma; the transition term lowers L_T",
          "[flows]") {
  const nmflow::Hypersurface surface = nmflow::fermat_quintic();
  const nmflow::CYPointSet train_points = nmflow::sample_cy_points(surface, 1000, 1000);
  const nmflow::CYPointSet validation_points = nmflow::sample_cy_points(surface, 500, 2000);
  const nmflow::FreeMetricData train =
      nmflow::prepare_free_metric_data(surface, train_points, PhiInputs::PatchAffine, at::kDouble);
  const nmflow::FreeMetricData validation =
      nmflow::prepare_free_metric_data(surface, validation_points, PhiInputs::PatchAffine, at::kDouble);
  const auto train_with = [&](double alpha_transition) {
    FreeCYMetricConfig config;
    config.inputs = PhiInputs::PatchAffine;
    config.hidden = {16, 16};
    FreeCYMetric model(config, surface.n_coords());
    nmflow::FreeCYTrainingOptions options;
    options.trainer.optimizer.kind = nmflow::OptimizerKind::Adam;
    options.trainer.learning_rate = 5e-3;
    options.epochs = 10;
    options.batch_size = 250;
    options.eval_every = 10;
    options.alpha_kahler = 1.0;
    options.alpha_transition = alpha_transition;
    return nmflow::train_free_metric(model, train, validation, nmflow::fubini_study_kappa(train_points), options);
  };
  const std::vector<nmflow::FreeCYEpochRecord> without = train_with(0.0);
  const std::vector<nmflow::FreeCYEpochRecord> with = train_with(100.0);
  REQUIRE(without.size() == 2);
  REQUIRE(with.size() == 2);
  const double sigma_fs = without.front().cy.sigma;
  CHECK(sigma_fs == Approx(0.372).margin(0.03));
  CHECK(without.front().transition < 1e-26);  // g_FS is patch-consistent
  CHECK(without.back().cy.steps == 40);
  CHECK(without.back().cy.sigma < 0.8 * sigma_fs);
  CHECK(with.back().cy.sigma < 0.9 * sigma_fs);
  CHECK(without.back().transition > 0.0);
  CHECK(with.back().transition < 0.5 * without.back().transition);
}
