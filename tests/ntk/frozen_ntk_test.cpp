#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <vector>

#include "common/error.h"
#include "models/neural_metric.h"
#include "ntk/frozen_ntk.h"
#include "ntk/structured_ntk.h"
#include "support/tolerance.h"

using nmflow::Activation;

namespace {

nmflow::MlpConfig trunk_config(int64_t n, std::vector<int64_t> hidden, Activation activation, double sigma_w,
                               double sigma_b, uint64_t seed) {
  nmflow::MlpConfig config;
  config.input_dim = n;
  config.hidden = std::move(hidden);
  config.activation = activation;
  config.parameterisation = nmflow::Parameterisation::Ntk;
  config.sigma_w = sigma_w;
  config.sigma_b = sigma_b;
  config.seed = seed;
  return config;
}

nmflow::MetricHead symmetric_head(int64_t n) {
  nmflow::MetricHead head;
  head.kind = nmflow::MetricHeadKind::Symmetric;
  head.dim = n;
  return head;
}

at::Tensor activation_slope(Activation activation, const at::Tensor& u) {
  switch (activation) {
    case Activation::Relu: return (u > 0).to(at::kDouble);
    case Activation::Erf: return (2.0 / std::sqrt(M_PI)) * at::exp(-u * u);
    case Activation::Sin: return at::cos(u);
    case Activation::Cos: return -at::sin(u);
    default: throw nmflow::Error("activation_slope: unsupported in this test");
  }
}

// Mean, and 6 standard errors, of the samples.
std::pair<double, double> mean_and_band(const at::Tensor& samples) {
  const double mean = samples.mean().item<double>();
  const double band = 6.0 * samples.std().item<double>() / std::sqrt(static_cast<double>(samples.numel()));
  return {mean, band};
}

}  // namespace

TEST_CASE("Closed-form dual kernels K̃ = E[φφ'] and K̇ = E[φ'φ'] of relu, erf, sin, cos match Monte-Carlo",
          "[ntk]") {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(17);
  const int64_t samples = 400000;
  // Two covariances: positive and negative correlation, unequal variances.
  const std::vector<std::array<double, 3>> covariances{{0.7, 1.3, 0.4}, {1.8, 0.5, -0.6}};
  for (Activation activation : {Activation::Relu, Activation::Erf, Activation::Sin, Activation::Cos}) {
    for (const auto& c : covariances) {
      const double k11 = c[0], k22 = c[1], k12 = c[2];
      const at::Tensor e1 = at::randn({samples}, generator, at::kDouble);
      const at::Tensor e2 = at::randn({samples}, generator, at::kDouble);
      // Cholesky of [[k11, k12], [k12, k22]].
      const at::Tensor u = std::sqrt(k11) * e1;
      const at::Tensor v = (k12 / std::sqrt(k11)) * e1 + std::sqrt(k22 - k12 * k12 / k11) * e2;
      const auto value = mean_and_band(nmflow::activation_value(activation, u) *
                                       nmflow::activation_value(activation, v));
      const auto slope = mean_and_band(activation_slope(activation, u) * activation_slope(activation, v));
      const nmflow::DualKernels closed = nmflow::dual_activation_kernels(
          activation, at::scalar_tensor(k11, at::kDouble), at::scalar_tensor(k22, at::kDouble),
          at::scalar_tensor(k12, at::kDouble));
      INFO(nmflow::activation_name(activation) << " K11 " << k11 << " K22 " << k22 << " K12 " << k12 << ": K̃ "
                                               << closed.value.item<double>() << " vs MC " << value.first << " ± "
                                               << value.second << "; K̇ " << closed.derivative.item<double>()
                                               << " vs MC " << slope.first << " ± " << slope.second);
      CHECK(std::abs(closed.value.item<double>() - value.first) <= value.second);
      CHECK(std::abs(closed.derivative.item<double>() - slope.first) <= slope.second);
    }
  }
}

TEST_CASE("Frozen kernel of an affine trunk is σ_w² x·x'/d + σ_b² and equals its (deterministic) empirical NTK",
          "[ntk]") {
  at::manual_seed(4);
  const int64_t n = 3;
  const nmflow::NeuralMetric model(trunk_config(n, {}, Activation::Erf, 1.7, 0.6, 2), symmetric_head(n));
  const at::Tensor x = at::randn({4, n}, at::kDouble);
  const at::Tensor x2 = at::randn({3, n}, at::kDouble);
  const nmflow::FrozenKernels k = nmflow::frozen_mlp_kernels(model.trunk().config(), x, x2);
  const at::Tensor expected = 1.7 * 1.7 * at::matmul(x, x2.t()) / 3.0 + 0.36;
  CHECK_CLOSE(k.ntk, expected, 1e-14);
  CHECK_CLOSE(k.nngp, expected, 1e-14);
  CHECK_CLOSE(nmflow::frozen_metric_ntk(model, x, x2), nmflow::structured_metric_ntk(model, x, x2), 1e-12);
}

TEST_CASE("One hidden erf layer: Θ = K² + σ_w² K̇¹ Θ¹ with the MLP's default σ_w = 1, σ_b = 0.1", "[ntk]") {
  // Written out by hand from docs/design.md §5 for a single pair of points, so a missing readout term or a σ placed
  // on the wrong layer fails.
  nmflow::MlpConfig config = trunk_config(2, {8}, Activation::Erf, nmflow::MlpConfig{}.sigma_w,
                                          nmflow::MlpConfig{}.sigma_b, 0);
  config.output_dim = 1;
  REQUIRE(config.sigma_w == 1.0);
  REQUIRE(config.sigma_b == 0.1);
  const at::Tensor x = at::tensor({0.3, -1.2}, at::kDouble).view({1, 2});
  const at::Tensor x2 = at::tensor({0.9, 0.4}, at::kDouble).view({1, 2});
  const double k11 = (0.09 + 1.44) / 2.0 + 0.01, k22 = (0.81 + 0.16) / 2.0 + 0.01, k12 = (0.27 - 0.48) / 2.0 + 0.01;
  const double product = (1.0 + 2.0 * k11) * (1.0 + 2.0 * k22);
  const double k_tilde = (2.0 / M_PI) * std::asin(2.0 * k12 / std::sqrt(product));
  const double k_dot = (4.0 / M_PI) / std::sqrt(product - 4.0 * k12 * k12);
  const double k2 = k_tilde + 0.01;
  const double theta = k2 + k_dot * k12;
  const nmflow::FrozenKernels k = nmflow::frozen_mlp_kernels(config, x, x2);
  CHECK(k.nngp.item<double>() == Approx(k2).epsilon(1e-13));
  CHECK(k.ntk.item<double>() == Approx(theta).epsilon(1e-13));
}

TEST_CASE("Frozen kernels reject the standard parameterisation, activations without closed form and nonlinear heads",
          "[ntk]") {
  const at::Tensor x = at::randn({2, 2}, at::kDouble);
  nmflow::MlpConfig config = trunk_config(2, {4}, Activation::Tanh, 1.0, 0.1, 0);
  CHECK_THROWS_AS(nmflow::frozen_mlp_kernels(config, x, x), nmflow::Error);
  config.activation = Activation::Relu;
  config.parameterisation = nmflow::Parameterisation::Standard;
  CHECK_THROWS_AS(nmflow::frozen_mlp_kernels(config, x, x), nmflow::Error);
  nmflow::MetricHead head = symmetric_head(2);
  head.kind = nmflow::MetricHeadKind::FreeSpd;
  const nmflow::NeuralMetric model(trunk_config(2, {4}, Activation::Relu, 1.0, 0.1, 0), head);
  CHECK_THROWS_AS(nmflow::frozen_metric_ntk(model, x, x), nmflow::Error);
}

TEST_CASE("Empirical metric-NTK of wide MLPs converges to the frozen kernel at a fitted rate width^a, a in "
          "[-0.8, -0.3]",
          "[ntk]") {
  at::manual_seed(21);
  const int64_t n = 2;
  const at::Tensor x = at::randn({5, n}, at::kDouble);
  const std::vector<int64_t> widths{64, 128, 256, 512, 1024};
  const int64_t seeds = 10;
  struct Setting {
    Activation activation;
    double sigma_w;
    double sigma_b;
  };
  for (const Setting& s : {Setting{Activation::Erf, 1.5, 0.3}, Setting{Activation::Relu, 1.0, 0.1}}) {
    std::vector<double> log_width;
    std::vector<double> log_gap;
    double last_gap = 0.0;
    for (int64_t width : widths) {
      double gap_sum = 0.0;
      for (int64_t seed = 0; seed < seeds; ++seed) {
        const nmflow::NeuralMetric model(
            trunk_config(n, {width, width}, s.activation, s.sigma_w, s.sigma_b,
                         static_cast<uint64_t>(7919 * width + seed)),
            symmetric_head(n));
        const at::Tensor frozen = nmflow::frozen_metric_ntk(model, x, x);
        const at::Tensor empirical = nmflow::structured_metric_ntk(model, x, x);
        gap_sum += ((empirical - frozen).norm() / frozen.norm()).item<double>();
      }
      last_gap = gap_sum / static_cast<double>(seeds);
      log_width.push_back(std::log(static_cast<double>(width)));
      log_gap.push_back(std::log(last_gap));
    }
    // Least-squares slope of log(mean gap) against log(width).
    const double count = static_cast<double>(widths.size());
    double mx = 0.0, my = 0.0;
    for (size_t k = 0; k < widths.size(); ++k) {
      mx += log_width[k] / count;
      my += log_gap[k] / count;
    }
    double sxy = 0.0, sxx = 0.0;
    for (size_t k = 0; k < widths.size(); ++k) {
      sxy += (log_width[k] - mx) * (log_gap[k] - my);
      sxx += (log_width[k] - mx) * (log_width[k] - mx);
    }
    const double slope = sxy / sxx;
    INFO(nmflow::activation_name(s.activation) << ": fitted exponent " << slope << ", mean gap at width 1024 "
                                               << last_gap << ", at 64 " << std::exp(log_gap[0]));
    CHECK(slope >= -0.8);
    CHECK(slope <= -0.3);
    CHECK(last_gap < 0.15);
  }
}
