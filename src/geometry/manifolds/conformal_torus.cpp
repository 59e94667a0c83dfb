#include "geometry/manifolds/conformal_torus.h"

#include <ATen/ATen.h>

#include <cmath>

#include "geometry/manifolds/formula_metric.h"

namespace nmflow {

namespace {

// Σ_m scale_m (a_m cos(k_m·x) + b_m sin(k_m·x)) with scale_m = 1 (u) or −|k_m|² (Δu).
template <class S>
S fourier_sum(const std::vector<FourierMode>& modes, const S* x, bool laplacian) {
  using std::cos;
  using std::sin;
  S sum = 0.0 * x[0];
  for (const FourierMode& m : modes) {
    const S phase = static_cast<double>(m.kx) * x[0] + static_cast<double>(m.ky) * x[1];
    const double scale = laplacian ? -static_cast<double>(m.kx * m.kx + m.ky * m.ky) : 1.0;
    sum = sum + (scale * m.cos_amplitude) * cos(phase) + (scale * m.sin_amplitude) * sin(phase);
  }
  return sum;
}

struct ConformalTorusFormula {
  static constexpr int kMinDim = 2;
  static constexpr int kMaxDim = 2;
  int64_t n = 2;
  std::vector<FourierMode> modes;

  template <class S>
  void operator()(const S* x, S* g) const {
    using std::exp;
    write_conformally_flat<S>(exp(2.0 * fourier_sum(modes, x, /*laplacian=*/false)), x[0], n, g);
  }
};

}  // namespace

std::unique_ptr<ReferenceMetric> make_conformal_torus(const std::vector<FourierMode>& modes) {
  return std::make_unique<FormulaMetric<ConformalTorusFormula>>("conformal_torus", ConformalTorusFormula{2, modes});
}

at::Tensor fourier_potential(const std::vector<FourierMode>& modes, const at::Tensor& x) {
  const std::vector<at::Tensor> columns = coordinate_columns(x, 2, "fourier_potential");
  return fourier_sum(modes, columns.data(), /*laplacian=*/false);
}

at::Tensor fourier_potential_laplacian(const std::vector<FourierMode>& modes, const at::Tensor& x) {
  const std::vector<at::Tensor> columns = coordinate_columns(x, 2, "fourier_potential_laplacian");
  return fourier_sum(modes, columns.data(), /*laplacian=*/true);
}

}  // namespace nmflow
