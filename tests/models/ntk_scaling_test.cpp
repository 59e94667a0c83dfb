#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "models/mlp.h"

namespace {

// Infinite-width NNGP variance of an erf network in NTK parameterisation (docs/design.md §5): K⁰ = x·x/d_in,
// first dense layer q = σ_w² K⁰ + σ_b², then per layer q ← σ_w² (2/π) arcsin(2q/(1 + 2q)) + σ_b².
double erf_nngp_variance(double k0, int64_t hidden_layers, double sigma_w, double sigma_b) {
  double q = sigma_w * sigma_w * k0 + sigma_b * sigma_b;
  for (int64_t l = 0; l < hidden_layers; ++l) {
    q = sigma_w * sigma_w * (2.0 / M_PI) * std::asin(2.0 * q / (1.0 + 2.0 * q)) + sigma_b * sigma_b;
  }
  return q;
}

}  // namespace

TEST_CASE("NTK parameterisation keeps the output variance at init O(1) and equal to the NNGP limit for widths "
          "64..1024",
          "[models][ntk]") {
  const double sigma_w = 1.5;
  const double sigma_b = 0.3;
  const int64_t outputs = 256;
  const int64_t seeds = 40;
  const at::Tensor x = at::tensor({0.8, -1.1, 0.5}, at::kDouble).view({1, 3});
  const double expected = erf_nngp_variance((x * x).sum().item<double>() / 3.0, 2, sigma_w, sigma_b);
  for (int64_t width : {64, 256, 1024}) {
    // Per seed, the mean of f_o² over outputs estimates E[f²]: the outputs are i.i.d. given the last hidden layer.
    std::vector<double> per_seed;
    for (int64_t s = 0; s < seeds; ++s) {
      nmflow::MlpConfig config;
      config.input_dim = 3;
      config.hidden = {width, width};
      config.output_dim = outputs;
      config.activation = nmflow::Activation::Erf;
      config.parameterisation = nmflow::Parameterisation::Ntk;
      config.sigma_w = sigma_w;
      config.sigma_b = sigma_b;
      config.seed = 1000 * static_cast<uint64_t>(width) + static_cast<uint64_t>(s);
      const at::Tensor f = nmflow::Mlp(config).forward(x).detach();
      per_seed.push_back(f.pow(2).mean().item<double>());
    }
    const at::Tensor v = at::tensor(per_seed, at::kDouble);
    const double mean = v.mean().item<double>();
    const double standard_error = v.std().item<double>() / std::sqrt(static_cast<double>(seeds));
    // Statistical tolerance: 5 standard errors of the seed average, plus the O(1/width) finite-width bias of the
    // second hidden layer's variance (allowance 2/width relative).
    const double tolerance = 5.0 * standard_error + 2.0 * expected / static_cast<double>(width);
    INFO("width " << width << ": mean f² = " << mean << " ± " << standard_error << ", NNGP limit " << expected);
    CHECK(std::abs(mean - expected) <= tolerance);
    // O(1): without the 1/√n factor the variance would grow like the width (≥ 64× here).
    CHECK(mean < 3.0 * expected);
  }
}
