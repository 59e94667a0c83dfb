#pragma once
// Random Fourier features φ(x) = √(σ_a²/N) Σ_i a_i cos(b_i·x + c_i), a ~ N(0,1), c ~ U(−π, π), b ~ p(b)
// (docs/design.md §5). Their kernels are translation invariant through χ(Δ) = E_b cos(b·Δ):
//   NNGP K(x,x') = (σ_a²/2) χ(x − x');
//   frozen NTK with a and c trained (plain sum over parameters, c at the same rate as a) = σ_a² χ(x − x'):
//   Σ_i ∂φ/∂a_i ∂φ'/∂a_i → (σ_a²/2) χ and Σ_i ∂φ/∂c_i ∂φ'/∂c_i → σ_a² E[a²] E[sin sin] = (σ_a²/2) χ.
// (Training b would add (σ_a²/2)(x·x') E[|b|²…]-type terms that break translation invariance; keep b fixed.)
#include <cstdint>
#include <string>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "common/config_enums.h"

namespace nmflow {

// FrequencyDistribution and its name table: common/config_enums.h.

// "gaussian" | "uniform_ball"; throws nmflow::Error naming the allowed values.
FrequencyDistribution parse_frequency_distribution(const std::string& name);

// delta: [..., d] differences x − x' → χ: [...], float64. scale is σ_b (Gaussian) or Λ (ball), > 0.
// Ball, d = 1: sin z / z; d = 3: 3(sin z − z cos z)/z³; general d via std::cyl_bessel_j; below z = 1 the power
// series Γ(ν+1) Σ_k (−z²/4)^k / (k! Γ(ν+k+1)), ν = d/2, avoids the cancellation of the closed forms.
at::Tensor rff_chi(FrequencyDistribution distribution, double scale, const at::Tensor& delta);

// Draws N frequencies b: [N, d] (float64) from the distribution with the generator.
at::Tensor sample_rff_frequencies(FrequencyDistribution distribution, double scale, int64_t count, int64_t dim,
                                  at::Generator generator);

}  // namespace nmflow
