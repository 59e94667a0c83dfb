#include "ntk/random_fourier.h"

#include <ATen/ATen.h>

#include <cmath>
#include <vector>

#include "common/enum_names.h"
#include "common/error.h"

namespace nmflow {

namespace {

// χ of the uniform ball at z = Λr ≥ 0 in dimension d.
double ball_chi(double z, int64_t d) {
  const double nu = 0.5 * static_cast<double>(d);
  if (z < 1.0) {
    // Γ(ν+1) Σ_k (−z²/4)^k / (k! Γ(ν+k+1)); the ratio of successive terms is −(z²/4)/(k (ν+k)).
    double term = 1.0;
    double sum = 1.0;
    for (int k = 1; k < 30; ++k) {
      term *= -(z * z / 4.0) / (static_cast<double>(k) * (nu + k));
      sum += term;
    }
    return sum;
  }
  if (d == 1) {
    return std::sin(z) / z;
  }
  if (d == 3) {
    return 3.0 * (std::sin(z) - z * std::cos(z)) / (z * z * z);
  }
  return std::tgamma(nu + 1.0) * std::pow(2.0 / z, nu) * std::cyl_bessel_j(nu, z);
}


}  // namespace

FrequencyDistribution parse_frequency_distribution(const std::string& name) {
  return parse_enum(kFrequencyDistributionNames, name, "frequency distribution");
}

at::Tensor rff_chi(FrequencyDistribution distribution, double scale, const at::Tensor& delta) {
  NMFLOW_CHECK(std::isfinite(scale) && scale > 0.0, "rff_chi: scale (σ_b or Λ) must be finite and > 0, got ",
               scale);
  NMFLOW_CHECK(delta.dim() >= 1 && delta.size(-1) >= 1, "rff_chi: delta must be [..., d] with d ≥ 1, got ",
               delta.sizes());
  const int64_t d = delta.size(-1);
  const at::Tensor r2 = delta.detach().to(at::kCPU, at::kDouble).pow(2).sum(-1);
  if (distribution == FrequencyDistribution::Gaussian) {
    return at::exp(-scale * scale * r2 / (2.0 * static_cast<double>(d)));
  }
  const at::Tensor z = (at::sqrt(r2) * scale).contiguous();
  at::Tensor chi = at::empty_like(z);
  const double* in = z.data_ptr<double>();
  double* out = chi.data_ptr<double>();
  for (int64_t k = 0; k < z.numel(); ++k) {
    out[k] = ball_chi(in[k], d);
  }
  return chi;
}

at::Tensor sample_rff_frequencies(FrequencyDistribution distribution, double scale, int64_t count, int64_t dim,
                                  at::Generator generator) {
  NMFLOW_CHECK(std::isfinite(scale) && scale > 0.0, "sample_rff_frequencies: scale must be finite and > 0, got ",
               scale);
  NMFLOW_CHECK(count >= 1 && dim >= 1, "sample_rff_frequencies: count and dim must be ≥ 1, got ", count, ", ",
               dim);
  const at::TensorOptions options = at::TensorOptions().dtype(at::kDouble);
  const at::Tensor normal = at::randn({count, dim}, generator, options);
  if (distribution == FrequencyDistribution::Gaussian) {
    return normal * (scale / std::sqrt(static_cast<double>(dim)));
  }
  // Uniform in the ball: a uniform direction times radius Λ U^{1/d}.
  const at::Tensor direction = normal / normal.norm(2, 1, true);
  const at::Tensor radius = scale * at::rand({count, 1}, generator, options).pow(1.0 / static_cast<double>(dim));
  return direction * radius;
}

}  // namespace nmflow
