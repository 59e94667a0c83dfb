#pragma once
// Fourier spectral calculus on the periodic grid of T^n = [0, L)^n with N points per axis, x_j = j L/N. Every
// derivative is the exact derivative of the grid's trigonometric interpolant sampled back on the grid; for even N
// the Nyquist mode is taken as cos(k_N x) (real), so odd derivatives along an axis drop it and ∂_c² keeps −k_N².
// Fields are channel-first, [C, N, …, N] with the n grid axes last (row-major: the last axis varies fastest).
#include <ATen/core/Tensor.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace nmflow {

struct PeriodicGrid {
  int64_t dim = 2;            // n
  int64_t points_per_axis = 32;  // N
  double length = 2.0 * M_PI;   // L

  double spacing() const { return length / static_cast<double>(points_per_axis); }  // h
  int64_t num_points() const;                     // N^n
  std::vector<int64_t> shape() const;             // {N, …, N}
  // [N^n, n] float64 grid coordinates, row-major (matching a field's flatten over its last n axes).
  at::Tensor points() const;
  // Throws nmflow::Error unless 1 ≤ n ≤ 3, N ≥ 4 and L > 0.
  void check() const;
};

// f: [C, N…] → ∂_c f: [C, n, N…].
at::Tensor spectral_gradient(const at::Tensor& f, const PeriodicGrid& grid);
// f: [C, N…] → ∂_c∂_d f: [C, n, n, N…].
at::Tensor spectral_hessian(const at::Tensor& f, const PeriodicGrid& grid);
// f: [C, N…] → Δf = Σ_c ∂_c² f: [C, N…].
at::Tensor spectral_laplacian(const at::Tensor& f, const PeriodicGrid& grid);
// f: [C, N…] → (1/L^n) ∫ f d^n x = grid mean: [C] (exact for the trigonometric interpolant).
at::Tensor grid_mean(const at::Tensor& f, const PeriodicGrid& grid);

// Trigonometric interpolation: f: [C, N…] grid values, probes: [P, n] anywhere in R^n (periodic) → [C, P], the
// band-limited interpolant (a tensor product of the 1-D ones) evaluated at the probes; exact to round-off for
// fields whose modes satisfy |k_c| < N/2 (and cos(N/2 x_c) at the Nyquist frequency). Cost O(C N^n P).
at::Tensor trigonometric_interpolation(const at::Tensor& f, const PeriodicGrid& grid, const at::Tensor& probes);

}  // namespace nmflow
