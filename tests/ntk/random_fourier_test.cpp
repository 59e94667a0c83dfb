#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "common/error.h"
#include "ntk/random_fourier.h"
#include "support/tolerance.h"

using nmflow::FrequencyDistribution;

TEST_CASE("Random-Fourier-feature χ(Δ) = E_b cos(b·Δ) matches Monte-Carlo for Gaussian and uniform-ball b", "[ntk]") {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(3);
  const int64_t count = 200000;
  struct Case {
    FrequencyDistribution distribution;
    double scale;
    int64_t d;
  };
  const std::vector<Case> cases{{FrequencyDistribution::Gaussian, 2.0, 1},     {FrequencyDistribution::Gaussian, 3.0, 3},
                                {FrequencyDistribution::UniformBall, 4.0, 1},  {FrequencyDistribution::UniformBall, 4.0, 2},
                                {FrequencyDistribution::UniformBall, 5.0, 3},  {FrequencyDistribution::UniformBall, 5.0, 5}};
  for (const Case& c : cases) {
    const at::Tensor b = nmflow::sample_rff_frequencies(c.distribution, c.scale, count, c.d, generator);
    // Δ along a random direction at radii spanning the series branch (z < 1) and several oscillations.
    const at::Tensor direction = at::randn({c.d}, generator, at::kDouble);
    for (double r : {0.05, 0.3, 0.7, 1.4, 2.5}) {
      const at::Tensor delta = direction * (r / direction.norm().item<double>());
      const at::Tensor cosines = at::cos(at::matmul(b, delta));
      const double mc = cosines.mean().item<double>();
      const double band = 6.0 * cosines.std().item<double>() / std::sqrt(static_cast<double>(count)) + 1e-12;
      const double chi = nmflow::rff_chi(c.distribution, c.scale, delta.view({1, c.d})).item<double>();
      INFO((c.distribution == FrequencyDistribution::Gaussian ? "gaussian" : "ball") << " d " << c.d << " scale "
                                                                                       << c.scale << " r " << r
                                                                                       << ": χ " << chi << " MC "
                                                                                       << mc << " ± " << band);
      CHECK(std::abs(chi - mc) <= band);
    }
  }
}

TEST_CASE("Uniform-ball χ is continuous across the series/closed-form switch at z = 1 and the d = 1, 3 closed forms "
          "hold",
          "[ntk]") {
  for (int64_t d : {1, 2, 3, 4, 5}) {
    const at::Tensor below = at::full({1, d}, (1.0 - 1e-9) / std::sqrt(static_cast<double>(d)), at::kDouble);
    const at::Tensor above = at::full({1, d}, (1.0 + 1e-9) / std::sqrt(static_cast<double>(d)), at::kDouble);
    const double lo = nmflow::rff_chi(FrequencyDistribution::UniformBall, 1.0, below).item<double>();
    const double hi = nmflow::rff_chi(FrequencyDistribution::UniformBall, 1.0, above).item<double>();
    INFO("d " << d << ": " << lo << " vs " << hi);
    CHECK(std::abs(lo - hi) < 1e-8);
  }
  const at::Tensor r = at::tensor({0.0, 0.2, 0.9, 1.5, 4.0}, at::kDouble).view({5, 1});
  const double lambda = 2.0;
  const at::Tensor z = (r * lambda).view({5});
  at::Tensor sinc = at::sin(z) / z;
  sinc[0] = 1.0;
  CHECK_CLOSE(nmflow::rff_chi(FrequencyDistribution::UniformBall, lambda, r), sinc, 1e-13);
  // d = 3, Δ along one axis.
  const at::Tensor r3 = at::cat({r, at::zeros({5, 2}, at::kDouble)}, 1);
  at::Tensor ball3 = 3.0 * (at::sin(z) - z * at::cos(z)) / z.pow(3);
  ball3[0] = 1.0;
  CHECK_CLOSE(nmflow::rff_chi(FrequencyDistribution::UniformBall, lambda, r3), ball3, 1e-9);
  CHECK_THROWS_AS(nmflow::rff_chi(FrequencyDistribution::UniformBall, -1.0, r), nmflow::Error);
  CHECK_THROWS_AS(nmflow::parse_frequency_distribution("laplace"), nmflow::Error);
}

TEST_CASE("RFF empirical NTK with a and c trained tends to σ_a² χ(x − x') (plain sum over parameters)", "[ntk]") {
  // φ = √(σ_a²/N) Σ a_i cos(b_i·x + c_i): ∂φ/∂a_i = √(σ_a²/N) cos(·), ∂φ/∂c_i = −√(σ_a²/N) a_i sin(·).
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(5);
  const int64_t count = 200000;
  const int64_t d = 3;
  const double sigma_a = 1.4;
  const double lambda = 3.0;
  const at::Tensor b = nmflow::sample_rff_frequencies(FrequencyDistribution::UniformBall, lambda, count, d, generator);
  const at::Tensor a = at::randn({count}, generator, at::kDouble);
  const at::Tensor c = (at::rand({count}, generator, at::kDouble) * 2.0 - 1.0) * M_PI;
  const at::Tensor x = at::tensor({0.2, -0.1, 0.4}, at::kDouble);
  const at::Tensor x2 = at::tensor({-0.3, 0.2, 0.1}, at::kDouble);
  const at::Tensor phase = at::matmul(b, x) + c;
  const at::Tensor phase2 = at::matmul(b, x2) + c;
  const at::Tensor terms = sigma_a * sigma_a * (at::cos(phase) * at::cos(phase2) + a * a * at::sin(phase) * at::sin(phase2));
  const double empirical = terms.mean().item<double>();  // (σ_a²/N) Σ_i = σ_a² · mean
  const double band = 6.0 * terms.std().item<double>() / std::sqrt(static_cast<double>(count));
  const double expected =
      sigma_a * sigma_a * nmflow::rff_chi(FrequencyDistribution::UniformBall, lambda, (x - x2).view({1, d})).item<double>();
  INFO("empirical " << empirical << " ± " << band << ", σ_a² χ = " << expected);
  CHECK(std::abs(empirical - expected) <= band);
}
