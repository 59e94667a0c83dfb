#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <catch2/catch.hpp>
#include <torch/csrc/autograd/autograd.h>

#include <cmath>
#include <ATen/core/grad_mode.h>
#include <cstdio>
#include <vector>

#include "training/losses.h"
#include "models/neural_metric.h"
#include "ntk/empirical_ntk.h"
#include "ntk/frozen_ntk_flow.h"
#include "support/tolerance.h"

using nmflow::FrozenNTKFlow;
using nmflow::LossValue;
using nmflow::MetricJet;
using nmflow::NeuralMetric;

namespace {

NeuralMetric make_model(int64_t width, uint64_t seed,
                        nmflow::MetricHeadKind kind = nmflow::MetricHeadKind::FrameExponential) {
  nmflow::MlpConfig trunk;
  trunk.input_dim = 2;
  trunk.hidden = {width, width};
  trunk.activation = nmflow::Activation::Tanh;
  trunk.parameterisation = nmflow::Parameterisation::Ntk;
  trunk.sigma_w = 1.2;
  trunk.sigma_b = 0.2;
  trunk.seed = seed;
  nmflow::MetricHead head;
  head.kind = kind;
  head.dim = 2;
  // frame_exp: a non-orthogonal frame, so that the head mixes components; symmetric: g = 4I + P(f) stays SPD.
  head.reference = kind == nmflow::MetricHeadKind::FrameExponential
                       ? at::tensor({1.0, 0.3, 0.0, 0.9}, at::kDouble).view({2, 2})
                       : 4.0 * at::eye(2, at::kDouble);
  return NeuralMetric(trunk, head);
}

at::Tensor torus_points(int64_t count, uint64_t seed) {
  at::manual_seed(seed);
  return 2.0 * M_PI * at::rand({count, 2}, at::kDouble);
}

// A loss of point values only: L = mean_b w_b |g(x_b) − G|²_F.
LossValue point_loss(const MetricJet& jet, const at::Tensor& weights) {
  const at::Tensor target = at::tensor({1.5, 0.2, 0.2, 0.8}, at::kDouble).view({1, 2, 2});
  const at::Tensor r = jet.g - target;
  return LossValue{(weights * (r * r).sum({1, 2})).mean(), {}};
}

// A curvature loss (needs ∂g, ∂²g): the Ricci norm on the flat-torus measure plus a pull towards a target.
LossValue curvature_loss(const MetricJet& jet, const at::Tensor& weights) {
  LossValue ricci = nmflow::ricci_norm_loss(weights, jet, nmflow::CurvatureBackend::Reference);
  return nmflow::add_loss(point_loss(jet, weights), ricci, 1e-3);
}

std::vector<at::Tensor> loss_gradient(const NeuralMetric& model, const at::Tensor& x, const at::Tensor& weights) {
  const LossValue value = curvature_loss(model.jet(x), weights);
  return torch::autograd::grad({value.total}, model.parameters());
}

// g at probes after one gradient-descent step θ₀ − η ∇L (parameters restored exactly afterwards).
at::Tensor metric_after_gd_steps(NeuralMetric& model, const at::Tensor& x, const at::Tensor& weights, double eta,
                                 int64_t steps, const at::Tensor& probes) {
  std::vector<at::Tensor> params = model.parameters();
  std::vector<at::Tensor> saved;
  for (const at::Tensor& p : params) {
    saved.push_back(p.detach().clone());
  }
  for (int64_t s = 0; s < steps; ++s) {
    const std::vector<at::Tensor> grads = loss_gradient(model, x, weights);
    at::AutoGradMode no_grad(false);
    for (size_t i = 0; i < params.size(); ++i) {
      params[i].sub_(eta * grads[i]);
    }
  }
  at::Tensor g;
  {
    at::AutoGradMode no_grad(false);
    g = model.metric(probes).detach().clone();
    for (size_t i = 0; i < params.size(); ++i) {
      params[i].copy_(saved[i]);
    }
  }
  return g;
}

// Small tensors: one thread (the pool's spin-waits dominate otherwise), restored afterwards.
struct OneThread {
  int saved = at::get_num_threads();
  OneThread() { at::set_num_threads(1); }
  ~OneThread() { at::set_num_threads(saved); }
};

}  // namespace

TEST_CASE("frozen-NTK flow velocity on the training points is −Θ_empirical ∂L/∂g with the loss's own weights",
          "[ntk]") {
  NeuralMetric model = make_model(24, 3);
  const at::Tensor x = torus_points(7, 1);
  const at::Tensor weights = 1.0 + at::rand({7}, at::kDouble);  // unequal weights: the factor must come through
  FrozenNTKFlow flow(
      model.parameters(), [&](const at::Tensor& p) { return model.jet(p); }, x,
      [&](const MetricJet& jet) { return point_loss(jet, weights); }, 0.1);
  const at::Tensor velocity = flow.metric_velocity(x);  // [B, 2, 2]

  // ∂L/∂g_P for the packed components (0,0), (0,1), (1,1): the off-diagonal entry is g_01 = g_10, one variable.
  const at::Tensor g = model.metric(x).detach().requires_grad_(true);
  const LossValue value = point_loss(MetricJet{g, at::Tensor(), at::Tensor()}, weights);
  const at::Tensor dl = torch::autograd::grad({value.total}, {g})[0];
  const at::Tensor dl_packed = at::stack({dl.select(1, 0).select(1, 0), dl.select(1, 0).select(1, 1) +
                                                                            dl.select(1, 1).select(1, 0),
                                          dl.select(1, 1).select(1, 1)},
                                         1)
                                   .reshape(-1);  // [B·p]
  const at::Tensor theta = nmflow::empirical_metric_ntk(model, x, x, nmflow::NtkMethod::JacobianContraction);
  const at::Tensor expected_packed = -at::matmul(theta, dl_packed).view({7, 3});
  const at::Tensor velocity_packed =
      at::stack({velocity.select(1, 0).select(1, 0), velocity.select(1, 0).select(1, 1),
                 velocity.select(1, 1).select(1, 1)},
                1);
  CHECK_CLOSE(velocity_packed, expected_packed, 1e-10);
  // Symmetric velocity.
  CHECK_CLOSE(velocity.select(1, 0).select(1, 1), velocity.select(1, 1).select(1, 0), 1e-12);
}

TEST_CASE("frozen-NTK flow over time η equals one gradient-descent step of rate η up to O(η²)", "[ntk]") {
  OneThread one_thread;
  NeuralMetric model = make_model(32, 5);
  const at::Tensor x = torus_points(16, 2);
  const at::Tensor weights = at::ones({16}, at::kDouble);
  const at::Tensor probes = torus_points(5, 3);
  const at::Tensor g0 = model.metric(probes).detach();
  std::vector<double> errors;
  std::vector<double> changes;
  for (const double eta : {4e-4, 2e-4, 1e-4}) {
    FrozenNTKFlow flow(
        model.parameters(), [&](const at::Tensor& p) { return model.jet(p); }, x,
        [&](const MetricJet& jet) { return curvature_loss(jet, weights); }, eta);
    flow.step(eta);
    const at::Tensor g_lin = flow.observe(probes).g;
    const at::Tensor g_gd = metric_after_gd_steps(model, x, weights, eta, 1, probes);
    errors.push_back((g_lin - g_gd).abs().max().item<double>());
    changes.push_back((g_gd - g0).abs().max().item<double>());
  }
  for (size_t k = 0; k < errors.size(); ++k) {
    std::printf("frozen NTK vs one GD step: change %.3e  |g_lin - g_gd| %.3e\n", changes[k], errors[k]);
  }
  // Δg is first order in η (halving η halves it) and the mismatch second order (halving η quarters it).
  CHECK(changes[0] / changes[1] == Approx(2.0).epsilon(0.05));
  CHECK(changes[0] > 1e-4);
  CHECK(errors[0] / errors[1] == Approx(4.0).epsilon(0.1));
  CHECK(errors[1] / errors[2] == Approx(4.0).epsilon(0.1));
  CHECK(errors[2] < 0.05 * changes[2]);
}

TEST_CASE("the gap between the frozen-NTK flow and gradient descent at fixed flow time shrinks with width",
          "[ntk]") {
  OneThread one_thread;
  // A linear head (symmetric), so that the only nonlinearity in the parameters is the trunk's, which vanishes as
  // width → ∞ (a nonlinear head such as frame_exp keeps an O(Δg²) gap at any width). Gradient descent is
  // Richardson-extrapolated in η (2 g(η/2) − g(η)) so that its own O(η) error does not hide the gap.
  const at::Tensor x = torus_points(8, 4);
  const at::Tensor weights = at::ones({8}, at::kDouble);
  const at::Tensor probes = torus_points(6, 6);
  const double t_final = 0.004;
  const double eta = 4e-4;
  const auto steps = static_cast<int64_t>(std::lround(t_final / eta));
  std::vector<double> log_width;
  std::vector<double> log_gap;
  for (const int64_t width : {16, 64, 256}) {
    double gap = 0.0;
    for (const uint64_t seed : {11, 12}) {
      NeuralMetric model = make_model(width, seed, nmflow::MetricHeadKind::Symmetric);
      FrozenNTKFlow flow(
          model.parameters(), [&](const at::Tensor& p) { return model.jet(p); }, x,
          [&](const MetricJet& jet) { return curvature_loss(jet, weights); }, t_final / 2);
      flow.step(t_final);
      const at::Tensor g_lin = flow.observe(probes).g;
      const at::Tensor g_gd = 2.0 * metric_after_gd_steps(model, x, weights, eta / 2, 2 * steps, probes) -
                              metric_after_gd_steps(model, x, weights, eta, steps, probes);
      const at::Tensor g0 = model.metric(probes).detach();
      gap += ((g_lin - g_gd).norm() / (g_gd - g0).norm()).item<double>() / 2.0;
    }
    std::printf("width %lld: relative gap GD vs frozen NTK at t = %.3f: %.3e\n", static_cast<long long>(width),
                t_final, gap);
    log_width.push_back(std::log(static_cast<double>(width)));
    log_gap.push_back(std::log(gap));
  }
  // Least-squares slope of log gap against log width.
  const double mx = (log_width[0] + log_width[1] + log_width[2]) / 3.0;
  const double my = (log_gap[0] + log_gap[1] + log_gap[2]) / 3.0;
  double sxy = 0.0;
  double sxx = 0.0;
  for (size_t k = 0; k < 3; ++k) {
    sxy += (log_width[k] - mx) * (log_gap[k] - my);
    sxx += (log_width[k] - mx) * (log_width[k] - mx);
  }
  const double exponent = sxy / sxx;
  std::printf("fitted exponent of the gap in width: %.3f\n", exponent);
  CHECK(exponent < -0.5);
}
