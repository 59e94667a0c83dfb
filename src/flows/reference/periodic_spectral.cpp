#include "flows/reference/periodic_spectral.h"

#include <ATen/ATen.h>

#include "common/error.h"

namespace nmflow {

namespace {

// Angular wavenumbers 2π/L · fftfreq(N)·N in FFT order: [N]. With drop_nyquist the k = −N/2 entry (even N) is 0.
at::Tensor wavenumbers(const PeriodicGrid& grid, bool drop_nyquist) {
  const int64_t n = grid.points_per_axis;
  at::Tensor k = at::empty({n}, at::kDouble);
  double* kp = k.data_ptr<double>();
  for (int64_t j = 0; j < n; ++j) {
    kp[j] = static_cast<double>(j <= (n - 1) / 2 ? j : j - n) * (2.0 * M_PI / grid.length);
  }
  if (drop_nyquist && n % 2 == 0) {
    kp[n / 2] = 0.0;
  }
  return k;
}

// k: [N] → shaped to broadcast along grid axis `axis` of a [C, (extra,) N…] field with `lead` leading dims.
at::Tensor along_axis(const at::Tensor& k, int64_t axis, int64_t lead, const PeriodicGrid& grid) {
  std::vector<int64_t> shape(lead + grid.dim, 1);
  shape[lead + axis] = grid.points_per_axis;
  return k.view(shape);
}

std::vector<int64_t> grid_dims(int64_t lead, const PeriodicGrid& grid) {
  std::vector<int64_t> dims(grid.dim);
  for (int64_t d = 0; d < grid.dim; ++d) {
    dims[d] = lead + d;
  }
  return dims;
}

void check_field(const at::Tensor& f, const PeriodicGrid& grid, const char* who) {
  grid.check();
  bool ok = f.dim() == 1 + grid.dim && f.scalar_type() == at::kDouble;
  for (int64_t d = 0; ok && d < grid.dim; ++d) {
    ok = f.size(1 + d) == grid.points_per_axis;
  }
  NMFLOW_CHECK(ok, who, ": field must be float64 [C, N…] with ", grid.dim, " grid axes of N = ", grid.points_per_axis,
               ", got ", f.sizes(), " ", f.scalar_type());
}

// Real part of the inverse FFT over the grid axes (the last n axes of a field with `lead` leading dims).
at::Tensor inverse(const at::Tensor& spectrum, int64_t lead, const PeriodicGrid& grid) {
  return at::real(at::fft_ifftn(spectrum, c10::nullopt, grid_dims(lead, grid))).contiguous();
}

}  // namespace

int64_t PeriodicGrid::num_points() const {
  int64_t m = 1;
  for (int64_t d = 0; d < dim; ++d) {
    m *= points_per_axis;
  }
  return m;
}

std::vector<int64_t> PeriodicGrid::shape() const { return std::vector<int64_t>(dim, points_per_axis); }

at::Tensor PeriodicGrid::points() const {
  check();
  const at::Tensor axis = at::arange(points_per_axis, at::kDouble) * spacing();
  std::vector<at::Tensor> axes(dim, axis);
  std::vector<at::Tensor> mesh = at::meshgrid(axes, "ij");
  for (at::Tensor& m : mesh) {
    m = m.reshape({-1});
  }
  return at::stack(mesh, 1);
}

void PeriodicGrid::check() const {
  NMFLOW_CHECK(dim >= 1 && dim <= 3, "PeriodicGrid: dim must be 1, 2 or 3, got ", dim);
  NMFLOW_CHECK(points_per_axis >= 4, "PeriodicGrid: points_per_axis must be >= 4, got ", points_per_axis);
  NMFLOW_CHECK(length > 0.0, "PeriodicGrid: length must be > 0, got ", length);
}

// ∂_c ↔ i k_c (Nyquist dropped).
at::Tensor spectral_gradient(const at::Tensor& f, const PeriodicGrid& grid) {
  check_field(f, grid, "spectral_gradient");
  const at::Tensor spectrum = at::fft_fftn(f, c10::nullopt, grid_dims(1, grid));  // [C, N…]
  const at::Tensor ik = at::complex(at::zeros({grid.points_per_axis}, at::kDouble), wavenumbers(grid, true));
  std::vector<at::Tensor> parts;
  for (int64_t c = 0; c < grid.dim; ++c) {
    parts.push_back(spectrum * along_axis(ik, c, 1, grid));
  }
  return inverse(at::stack(parts, 1), 2, grid);
}

// ∂_c∂_d ↔ −k_c k_d: Nyquist dropped for c ≠ d (odd in each axis), kept in −k_c² (the cos interpolant's).
at::Tensor spectral_hessian(const at::Tensor& f, const PeriodicGrid& grid) {
  check_field(f, grid, "spectral_hessian");
  const at::Tensor spectrum = at::fft_fftn(f, c10::nullopt, grid_dims(1, grid));  // [C, N…]
  const at::Tensor k_odd = wavenumbers(grid, true);
  const at::Tensor k_all = wavenumbers(grid, false);
  std::vector<at::Tensor> rows;
  for (int64_t c = 0; c < grid.dim; ++c) {
    std::vector<at::Tensor> row;
    for (int64_t d = 0; d < grid.dim; ++d) {
      const at::Tensor symbol = c == d ? -along_axis(k_all * k_all, c, 1, grid)
                                       : -along_axis(k_odd, c, 1, grid) * along_axis(k_odd, d, 1, grid);
      row.push_back(spectrum * symbol);
    }
    rows.push_back(at::stack(row, 1));
  }
  return inverse(at::stack(rows, 1), 3, grid);
}

at::Tensor spectral_laplacian(const at::Tensor& f, const PeriodicGrid& grid) {
  check_field(f, grid, "spectral_laplacian");
  const at::Tensor spectrum = at::fft_fftn(f, c10::nullopt, grid_dims(1, grid));
  const at::Tensor k_all = wavenumbers(grid, false);
  at::Tensor symbol = at::zeros({1}, at::kDouble);
  for (int64_t c = 0; c < grid.dim; ++c) {
    symbol = symbol - along_axis(k_all * k_all, c, 1, grid);
  }
  return inverse(spectrum * symbol, 1, grid);
}

at::Tensor grid_mean(const at::Tensor& f, const PeriodicGrid& grid) {
  check_field(f, grid, "grid_mean");
  return f.reshape({f.size(0), -1}).mean(1);
}

// f(x) = Σ_j ĉ_j Π_d B_d(x_d)_{j_d} with ĉ = FFT(f)/N^n and the 1-D basis B(x)_j = e^{i k_j x}, except
// cos(k_N x) for the Nyquist column (even N), which keeps the interpolant real and equal to f on the grid.
at::Tensor trigonometric_interpolation(const at::Tensor& f, const PeriodicGrid& grid, const at::Tensor& probes) {
  check_field(f, grid, "trigonometric_interpolation");
  NMFLOW_CHECK(probes.dim() == 2 && probes.size(1) == grid.dim, "trigonometric_interpolation: probes must be [P, ",
               grid.dim, "], got ", probes.sizes());
  const at::Tensor x = probes.to(at::kDouble);
  const int64_t big_n = grid.points_per_axis;
  at::Tensor coeffs = at::fft_fftn(f, c10::nullopt, grid_dims(1, grid)) / static_cast<double>(grid.num_points());
  const at::Tensor k = wavenumbers(grid, false);
  for (int64_t d = grid.dim - 1; d >= 0; --d) {
    const at::Tensor phase = x.select(1, d).unsqueeze(1) * k.unsqueeze(0);  // [P, N]
    at::Tensor basis = at::complex(at::cos(phase), at::sin(phase));
    if (big_n % 2 == 0) {
      basis.select(1, big_n / 2).copy_(at::complex(at::cos(phase.select(1, big_n / 2)),
                                                    at::zeros_like(phase.select(1, big_n / 2))));
    }
    // The last grid axis is contracted first (creating the probe axis), then each earlier one along the probes.
    coeffs = d == grid.dim - 1 ? at::einsum("...j,pj->...p", {coeffs, basis})
                               : at::einsum("...jp,pj->...p", {coeffs, basis});
  }
  return at::real(coeffs).contiguous();
}

}  // namespace nmflow
