#pragma once
// Conformal metrics on T² = R² / (2π Z)², g = e^{2u} (dx² + dy²), with u a finite Fourier sum
//   u(x, y) = Σ_m a_m cos(k_m·x) + b_m sin(k_m·x),   k_m ∈ Z²,
// so Δu = −Σ_m |k_m|² (a_m cos(k_m·x) + b_m sin(k_m·x)) analytically and R = −2 e^{−2u} Δu (docs/design.md §6).
#include <ATen/core/Tensor.h>

#include <memory>
#include <vector>

#include "geometry/manifolds/reference_metric.h"

namespace nmflow {

struct FourierMode {
  int kx = 0;
  int ky = 0;
  double cos_amplitude = 0.0;  // a_m
  double sin_amplitude = 0.0;  // b_m
};

std::unique_ptr<ReferenceMetric> make_conformal_torus(const std::vector<FourierMode>& modes);

// x: [B, 2] → u(x): [B] and the flat Laplacian Δu(x): [B], both in closed form.
at::Tensor fourier_potential(const std::vector<FourierMode>& modes, const at::Tensor& x);
at::Tensor fourier_potential_laplacian(const std::vector<FourierMode>& modes, const at::Tensor& x);

}  // namespace nmflow
