#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <catch2/catch.hpp>
#include <torch/csrc/autograd/autograd.h>

#include <cmath>
#include <limits>
#include <string>

#include "common/error.h"
#include "training/cy_losses.h"
#include "training/cy_training.h"
#include "geometry/kahler/cy_measures.h"
#include "geometry/kahler/hypersurface.h"
#include "geometry/kahler/line_intersection_sampler.h"
#include "models/kahler_phi_model.h"
#include "support/tolerance.h"

using nmflow::KahlerPhiModel;
using nmflow::KahlerPhiModelConfig;
using nmflow::MongeAmpereKappa;
using nmflow::MongeAmpereWeighting;
using nmflow::PhiJetMethod;

namespace {

nmflow::CYPointSet sample(int64_t n, uint64_t seed) {
  return nmflow::sample_cy_points(nmflow::fermat_quintic(), n, seed);
}

}  // namespace

TEST_CASE("At phi = 0 the model's sigma equals sigma_FS of cy_accuracy on the same points", "[flows]") {
  const nmflow::CYPointSet points = sample(3000, 21);
  const KahlerPhiModel model(KahlerPhiModelConfig{}, 5);  // zero output layer: φ ≡ 0
  const nmflow::CYEpochRecord record =
      nmflow::evaluate_phi_model(model, points, nmflow::phi_input_jet(model.config().inputs, points, at::kDouble));
  const nmflow::CYAccuracy fs = nmflow::cy_accuracy(points.weights, points.omega_sq, points.det_g_fs);
  CHECK(std::abs(record.sigma - fs.sigma) <= 1e-12 * fs.sigma);
  CHECK(std::abs(record.kappa - fs.kappa) <= 1e-12 * fs.kappa);
  CHECK(fs.sigma > 0.1);  // Fubini–Study is far from Ricci-flat
}

TEST_CASE("Monge-Ampere loss: closed form on known values, weighted and uniform", "[flows]") {
  const at::Tensor det_g = at::tensor({2.0, 3.0, 6.0}, at::kDouble);
  const at::Tensor omega_sq = at::tensor({1.0, 1.0, 2.0}, at::kDouble);
  const at::Tensor weights = at::tensor({1.0, 2.0, 1.0}, at::kDouble);
  // κ = 2: residuals |1 − det/(κ|Ω|²)| = 0, 0.5, 0.5
  const double uniform =
      nmflow::monge_ampere_loss(det_g, omega_sq, weights, 2.0, MongeAmpereWeighting::Uniform).total.item<double>();
  const double weighted =
      nmflow::monge_ampere_loss(det_g, omega_sq, weights, 2.0, MongeAmpereWeighting::Weighted).total.item<double>();
  CHECK(std::abs(uniform - 1.0 / 3.0) < 1e-15);
  CHECK(std::abs(weighted - 1.5 / 4.0) < 1e-15);
  CHECK_THROWS_AS(nmflow::monge_ampere_loss(det_g, omega_sq, weights, 0.0, MongeAmpereWeighting::Uniform),
                  nmflow::Error);
  CHECK_THROWS_AS(nmflow::parse_monge_ampere_weighting("mean"), nmflow::Error);
}

TEST_CASE("Monge-Ampere loss with a per-batch kappa: closed form, and kappa held constant in the gradient",
          "[flows]") {
  const at::Tensor det_g = at::tensor({2.0, 3.0, 6.0}, at::kDouble).requires_grad_(true);
  const at::Tensor omega_sq = at::tensor({1.0, 1.0, 2.0}, at::kDouble);
  const at::Tensor weights = at::tensor({1.0, 2.0, 1.0}, at::kDouble);
  // ratios det/|Ω|² = 2, 3, 3; κ_b = (2 + 6 + 3)/4 = 11/4; residuals |1 − r/κ_b| = 3/11, 1/11, 1/11
  const nmflow::LossValue loss = nmflow::monge_ampere_loss(det_g, omega_sq, weights, /*kappa (ignored)=*/-1.0,
                                                           MongeAmpereWeighting::Weighted, MongeAmpereKappa::Batch);
  CHECK(std::abs(loss.total.item<double>() - (3.0 + 2.0 + 1.0) / 11.0 / 4.0) < 1e-15);
  // With κ_b detached: ∂L/∂det_i = w_i sign(r_i/κ_b − 1)/(κ_b |Ω_i|² Σw) = (−1, +2, +½)·(4/11)/4
  // (a κ_b in the graph would add a term from ∂κ_b/∂det_i).
  const at::Tensor grad = torch::autograd::grad({loss.total}, {det_g})[0];
  CHECK_CLOSE(grad, at::tensor({-1.0, 2.0, 0.5}, at::kDouble) / 11.0, 1e-15);
  CHECK(nmflow::parse_monge_ampere_kappa("batch") == MongeAmpereKappa::Batch);
  CHECK(nmflow::monge_ampere_kappa_name(MongeAmpereKappa::TrainingSet) == "training_set");
  CHECK_THROWS_AS(nmflow::parse_monge_ampere_kappa("minibatch"), nmflow::Error);
}

TEST_CASE("Gradient of the Monge-Ampere loss in the parameters matches central finite differences", "[flows]") {
  const nmflow::CYPointSet points = sample(40, 4);
  KahlerPhiModelConfig config;
  config.hidden = {8, 6};
  config.zero_output_layer = false;
  config.seed = 3;
  const KahlerPhiModel model(config, 5);
  const at::Tensor jet = nmflow::phi_input_jet(config.inputs, points, at::kDouble);
  const double kappa = nmflow::fubini_study_kappa(points);
  for (const PhiJetMethod method : {PhiJetMethod::WirtingerJet, PhiJetMethod::Autograd}) {
    for (const MongeAmpereWeighting weighting : {MongeAmpereWeighting::Uniform, MongeAmpereWeighting::Weighted}) {
      INFO(nmflow::phi_jet_method_name(method) << " " << nmflow::monge_ampere_weighting_name(weighting));
      const auto loss = [&]() {
        return nmflow::monge_ampere_loss(nmflow::phi_model_det(model, points, jet, method), points.omega_sq,
                                         points.weights, kappa, weighting)
            .total;
      };
      const std::vector<at::Tensor> params = model.parameters();
      // allow_unused: the output bias shifts φ by a constant, which ∂∂̄ kills (autograd sees no path to it).
      std::vector<at::Tensor> grads = torch::autograd::grad({loss()}, params, {}, false, false, true);
      for (size_t p = 0; p < params.size(); ++p) {
        if (!grads[p].defined()) grads[p] = at::zeros_like(params[p]);
      }
      const double h = 1e-6;
      for (size_t p = 0; p < params.size(); ++p) {
        for (const int64_t k : {int64_t{0}, params[p].numel() - 1}) {
          at::Tensor flat = params[p].view({-1});
          const double saved = flat[k].item<double>();
          // The autograd path needs grad mode to evaluate at all; only the in-place nudge runs without it.
          const auto set = [&](double value) {
            const c10::AutoGradMode no_grad(false);
            flat[k].fill_(value);
          };
          set(saved + h);
          const double plus = loss().item<double>();
          set(saved - h);
          const double minus = loss().item<double>();
          set(saved);
          const double fd = (plus - minus) / (2.0 * h);
          const double ad = grads[p].view({-1})[k].item<double>();
          INFO("parameter " << p << " entry " << k << ": autograd " << ad << " fd " << fd);
          CHECK(std::abs(ad - fd) <= 1e-6 * std::max(1.0, std::abs(fd)));
        }
      }
    }
  }
}

TEST_CASE("Short Adam training on 2000 quintic points brings held-out sigma below 0.6 sigma_FS", "[flows]") {
  const nmflow::CYPointSet train = sample(2000, 1);
  const nmflow::CYPointSet validation = sample(1000, 2);
  KahlerPhiModelConfig config;
  config.hidden = {32, 32};
  KahlerPhiModel model(config, 5);
  nmflow::CYTrainingOptions options;
  options.trainer.optimizer.kind = nmflow::OptimizerKind::Adam;
  options.trainer.learning_rate = 3e-3;
  options.epochs = 40;
  options.batch_size = 500;
  options.eval_every = 40;
  const std::vector<nmflow::CYEpochRecord> records = nmflow::train_phi_model(model, train, validation, options);
  REQUIRE(records.size() == 2);
  const nmflow::CYEpochRecord& first = records.front();
  const nmflow::CYEpochRecord& last = records.back();
  INFO("sigma_FS " << first.sigma << " -> " << last.sigma << ", loss " << last.train_loss);
  CHECK(last.steps == 160);
  CHECK(last.sigma < 0.6 * first.sigma);
  CHECK(last.train_loss < first.sigma);  // weighted MA loss at φ = 0 equals σ_FS up to κ (same points differ)
  // The learned metric stays Hermitian positive definite on every held-out point.
  const c10::AutoGradMode no_grad(false);
  const at::Tensor g =
      validation.g_fs + model.ddbar_phi(nmflow::phi_input_jet(config.inputs, validation, at::kDouble),
                                        PhiJetMethod::WirtingerJet);
  CHECK(at::linalg_eigvalsh(g).min().item<double>() > 0.0);
}

TEST_CASE("An evaluation with sigma or kappa not finite stops every CY training with a located message",
          "[flows]") {
  // evaluated_record is where the phi-model, the free metric and the linearised ladder model all pass their
  // evaluations, so this one check covers the three trainings.
  nmflow::TrainerOptions trainer;
  trainer.learning_rate = 0.25;
  nmflow::CYEpochRecord progress;
  progress.epoch = 3;
  progress.steps = 30;
  progress.wall_seconds = 1.5;
  progress.train_loss = 0.125;
  nmflow::CYEpochRecord measured;
  measured.sigma = 0.0625;
  measured.kappa = 1.5;
  const nmflow::CYEpochRecord record = nmflow::evaluated_record(progress, measured, trainer);
  CHECK(record.epoch == 3);
  CHECK(record.steps == 30);
  CHECK(record.wall_seconds == 1.5);
  CHECK(record.train_loss == 0.125);
  CHECK(record.sigma == 0.0625);
  CHECK(record.kappa == 1.5);

  measured.kappa = std::nan("");
  try {
    nmflow::evaluated_record(progress, measured, trainer);
    FAIL("a NaN kappa was accepted");
  } catch (const nmflow::RunDiverged& e) {
    const std::string message = e.what();
    INFO(message);
    CHECK(message.find("epoch 3 (step 30): sigma = 0.0625, kappa = nan") != std::string::npos);
    CHECK(message.find("lower optimizer.lr (0.25 now) or set optimizer.clip") != std::string::npos);
  }
  measured.kappa = 1.5;
  measured.sigma = std::numeric_limits<double>::infinity();
  progress.epoch = 0;
  progress.steps = 0;
  try {
    nmflow::evaluated_record(progress, measured, trainer);
    FAIL("an infinite sigma was accepted");
  } catch (const nmflow::RunDiverged&) {
    FAIL("the initial model is not a diverged run");
  } catch (const nmflow::Error& e) {
    CHECK(std::string(e.what()).find("epoch 0 (the initial model): sigma = inf") != std::string::npos);
  }
}
