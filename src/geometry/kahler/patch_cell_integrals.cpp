#include "geometry/kahler/patch_cell_integrals.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/error.h"
#include "geometry/kahler/cy_point_set.h"
#include "geometry/kahler/polynomial_roots.h"

namespace nmflow {

namespace {

// Polydisk samples per batch (bounds the memory of the ATen pipeline).
constexpr int64_t kBatchSamples = 1 << 14;

struct Accumulator {
  double sum = 0.0;
  double sum_sq = 0.0;

  void add(const at::Tensor& y) {  // y: [S] per-sample estimates
    sum += y.sum().item<double>();
    sum_sq += (y * y).sum().item<double>();
  }
  // Mean and variance of the mean over `count` samples.
  void finish_cell(int64_t count, MonteCarloEstimate* total) const {
    const double mean = sum / count;
    const double variance = std::max(0.0, sum_sq / count - mean * mean) / (count - 1);
    total->value += mean;
    total->standard_error += variance;  // summed as variances, square-rooted at the end
  }
};

}  // namespace

PatchCellIntegrals integrate_over_patch_cells(const Hypersurface& surface_in, int64_t samples_per_cell, uint64_t seed,
                                              double t, double residual_tolerance) {
  NMFLOW_CHECK(samples_per_cell >= 2, "integrate_over_patch_cells: samples_per_cell must be ≥ 2, got ",
               samples_per_cell);
  const Hypersurface surface = surface_in.to(at::kCPU);
  const int64_t n = surface.n_coords();
  const int64_t m = surface.dim();
  const int64_t d = surface.degree();
  const at::Tensor exps = surface.exponents();
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto real = at::TensorOptions().dtype(at::kDouble);
  const double polydisk_volume = std::pow(M_PI, static_cast<double>(m));
  PatchCellIntegrals result;
  for (int64_t e = 0; e < n; ++e) {
    // q(z_e) = p(.., z_e, ..) must keep degree d for the d roots to be all of X over x.
    const at::Tensor pure = exps.select(1, e).eq(d);
    const double lead = pure.any().item<bool>() ? surface.coefficients().index_select(0, pure.nonzero().squeeze(1))
                                                      .abs().sum().item<double>()
                                                : 0.0;
    NMFLOW_CHECK(lead > 0.0, "integrate_over_patch_cells: ", surface.name(), " has no z_", e, "^", d,
                 " term, so eliminating z_", e, " loses roots at infinity; this estimator needs every pure power");
    for (int64_t k = 0; k < n; ++k) {
      if (k == e) {
        continue;
      }
      std::vector<int64_t> free;
      for (int64_t i = 0; i < n; ++i) {
        if (i != k && i != e) {
          free.push_back(i);
        }
      }
      const at::Tensor free_index = at::tensor(free, at::kLong);
      Accumulator volume;
      Accumulator omega;
      for (int64_t begin = 0; begin < samples_per_cell; begin += kBatchSamples) {
        const int64_t s = std::min(kBatchSamples, samples_per_cell - begin);
        // Uniform on the unit disk: |x| = √U, arg x = 2πV.
        const at::Tensor radius = at::rand({s, m}, generator, real).sqrt();
        const at::Tensor angle = at::rand({s, m}, generator, real) * (2.0 * M_PI);
        const at::Tensor x = at::polar(radius, angle);
        at::Tensor a = at::zeros({s, n}, at::kComplexDouble);
        a.select(1, k).fill_(1.0);
        a.index_copy_(1, free_index, x);
        at::Tensor b = at::zeros({s, n}, at::kComplexDouble);
        b.select(1, e).fill_(1.0);
        const LineRoots roots = line_intersection_roots(a, b, exps, surface.coefficients(), d);
        const at::Tensor z = (a.unsqueeze(1) + roots.t.unsqueeze(2) * b.unsqueeze(1)).reshape({s * d, n});
        const at::Tensor residual_ok = roots.residual.reshape({s * d}).le(residual_tolerance);
        result.residual_failures += s * d - residual_ok.sum().item<int64_t>();
        const CYPointSet points = make_cy_point_set(surface, z, t);
        const at::Tensor in_cell = (points.patch.eq(k) & points.eliminated.eq(e) & residual_ok).to(at::kDouble);
        volume.add(polydisk_volume * (points.det_g_fs * in_cell).view({s, d}).sum(1));
        omega.add(polydisk_volume * (points.omega_sq * in_cell).view({s, d}).sum(1));
      }
      volume.finish_cell(samples_per_cell, &result.fs_volume);
      omega.finish_cell(samples_per_cell, &result.omega_sq);
      result.samples += samples_per_cell;
    }
  }
  result.fs_volume.standard_error = std::sqrt(result.fs_volume.standard_error);
  result.omega_sq.standard_error = std::sqrt(result.omega_sq.standard_error);
  return result;
}

}  // namespace nmflow
